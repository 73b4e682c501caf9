#include "CFFmpegShim.h"
#include <errno.h>
#include <string.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/log.h>

int ctx_averror_eagain(void) { return AVERROR(EAGAIN); }
int ctx_averror_eof(void) { return AVERROR_EOF; }
int64_t ctx_av_nopts_value(void) { return AV_NOPTS_VALUE; }

const char *ctx_av_err2str(int errnum, char *buf, size_t size) {
    if (size == 0) return buf;
    if (av_strerror(errnum, buf, size) < 0) snprintf(buf, size, "unknown FFmpeg error %d", errnum);
    buf[size - 1] = 0;
    return buf;
}

double ctx_stream_rotation(const struct AVStream *stream) {
    const uint8_t *matrix = NULL;
#if LIBAVFORMAT_VERSION_MAJOR >= 61 || (LIBAVFORMAT_VERSION_MAJOR == 60 && LIBAVFORMAT_VERSION_MINOR >= 15)
    const AVPacketSideData *sd = av_packet_side_data_get(stream->codecpar->coded_side_data,
                                                         stream->codecpar->nb_coded_side_data,
                                                         AV_PKT_DATA_DISPLAYMATRIX);
    if (sd && sd->size >= 9 * sizeof(int32_t)) matrix = sd->data;
#else
    size_t size = 0;
    matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (size < 9 * sizeof(int32_t)) matrix = NULL;
#endif
    if (!matrix) return 0;
    double degrees = av_display_rotation_get((const int32_t *)matrix);
    if (degrees != degrees) return 0; // NaN: degenerate matrix
    return degrees;
}

int ctx_stream_set_rotation(struct AVStream *stream, double clockwise_degrees) {
    int32_t matrix[9];
    av_display_rotation_set(matrix, clockwise_degrees);  /* "set" takes clockwise degrees; "get" returns counter-clockwise */
#if LIBAVFORMAT_VERSION_MAJOR >= 61 || (LIBAVFORMAT_VERSION_MAJOR == 60 && LIBAVFORMAT_VERSION_MINOR >= 15)
    AVPacketSideData *sd = av_packet_side_data_new(&stream->codecpar->coded_side_data,
                                                   &stream->codecpar->nb_coded_side_data,
                                                   AV_PKT_DATA_DISPLAYMATRIX, sizeof(matrix), 0);
    if (!sd) return AVERROR(ENOMEM);
    memcpy(sd->data, matrix, sizeof(matrix));
    return 0;
#else
    uint8_t *data = av_stream_new_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, sizeof(matrix));
    if (!data) return AVERROR(ENOMEM);
    memcpy(data, matrix, sizeof(matrix));
    return 0;
#endif
}

void ctx_av_log_quiet(void) { av_log_set_level(AV_LOG_FATAL); }
