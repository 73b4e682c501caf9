// Small C helpers for FFmpeg macros and version-dependent calls that Swift cannot import directly.
#ifndef CFFMPEG_SHIM_H
#define CFFMPEG_SHIM_H

#include <stdint.h>
#include <stddef.h>

struct AVStream;

/// AVERROR(EAGAIN)
int ctx_averror_eagain(void);
/// AVERROR_EOF
int ctx_averror_eof(void);
/// AV_NOPTS_VALUE
int64_t ctx_av_nopts_value(void);
/// av_strerror into `buf` (always NUL-terminated); returns `buf`.
const char *ctx_av_err2str(int errnum, char *buf, size_t size);
/// Rotation in degrees (counter-clockwise, as the display matrix says), 0 when the stream has none.
double ctx_stream_rotation(const struct AVStream *stream);
/// Stores a display matrix asking players to rotate by `clockwise_degrees`; call before writing the header.
int ctx_stream_set_rotation(struct AVStream *stream, double clockwise_degrees);
/// Quiet FFmpeg's own logging (errors still reach us through return codes).
void ctx_av_log_quiet(void);

#endif
