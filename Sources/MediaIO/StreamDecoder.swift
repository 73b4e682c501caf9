import CFFmpeg
import CFFmpegShim
import Foundation

/// One file opened with libavformat, its best video stream and a decoder for it.
/// Frames come out upright (rotation metadata applied) as RGB24.
final class StreamDecoder {
    let path: String
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private let streamIndex: Int32
    private let converter = PixelConverter()

    /// Clockwise quarter turns that make the picture upright.
    let quarterTurns: Int
    /// Degrees clockwise, as the container asks players to rotate.
    let rotationDegrees: Int

    init(path: String) throws {
        _ = quietFFmpegLogging
        self.path = path
        var fmt: UnsafeMutablePointer<AVFormatContext>? = nil
        var rc = avformat_open_input(&fmt, path, nil, nil)
        guard rc >= 0, let fmt else { throw MediaError.notAVideo(path: path, reason: ffmpegMessage(rc)) }
        format = fmt
        rc = avformat_find_stream_info(fmt, nil)
        if rc < 0 {
            avformat_close_input(&format)
            throw MediaError.notAVideo(path: path, reason: ffmpegMessage(rc))
        }
        var decoderPtr: UnsafePointer<AVCodec>? = nil
        let index = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &decoderPtr, 0)
        guard index >= 0, let decoder = decoderPtr else {
            avformat_close_input(&format)
            let reason = index == -1381258232 /* AVERROR_STREAM_NOT_FOUND */ ? "no video stream" : ffmpegMessage(index)
            throw MediaError.notAVideo(path: path, reason: reason)
        }
        streamIndex = index
        let stream = fmt.pointee.streams[Int(index)]!
        let clockwise = -ctx_stream_rotation(stream)
        let turns = Int((clockwise / 90).rounded())
        quarterTurns = ((turns % 4) + 4) % 4
        rotationDegrees = quarterTurns * 90

        guard let ctx = avcodec_alloc_context3(decoder) else {
            avformat_close_input(&format)
            throw MediaError.notAVideo(path: path, reason: "out of memory allocating a decoder")
        }
        codec = ctx
        avcodec_parameters_to_context(ctx, stream.pointee.codecpar)
        ctx.pointee.thread_count = 0  // as many threads as cores
        rc = avcodec_open2(ctx, decoder, nil)
        if rc < 0 {
            avcodec_free_context(&codec)
            avformat_close_input(&format)
            throw MediaError.notAVideo(path: path, reason: "cannot open the \(String(cString: decoder.pointee.name)) decoder: \(ffmpegMessage(rc))")
        }
    }

    deinit {
        avcodec_free_context(&codec)
        avformat_close_input(&format)
    }

    private var stream: UnsafeMutablePointer<AVStream> { format!.pointee.streams[Int(streamIndex)]! }

    var containerName: String { String(cString: format!.pointee.iformat.pointee.name) }
    var codecName: String { String(cString: avcodec_get_name(stream.pointee.codecpar.pointee.codec_id)) }
    var codedSize: Size { Size(width: Int(stream.pointee.codecpar.pointee.width), height: Int(stream.pointee.codecpar.pointee.height)) }

    /// Frames per second: the stream's average rate, else its base rate, else `nil`.
    var frameRate: Double? {
        let s = stream.pointee
        if s.avg_frame_rate.isValidRate, s.avg_frame_rate.doubleValue < 1000 { return s.avg_frame_rate.doubleValue }
        if s.r_frame_rate.isValidRate, s.r_frame_rate.doubleValue < 1000 { return s.r_frame_rate.doubleValue }
        return nil
    }

    /// Duration in seconds when the container knows it.
    var duration: Double? {
        let s = stream.pointee
        if s.duration > 0, s.duration != ctx_av_nopts_value() { return Double(s.duration) * s.time_base.doubleValue }
        let d = format!.pointee.duration
        if d > 0, d != ctx_av_nopts_value() { return Double(d) / Double(AV_TIME_BASE) }
        return nil
    }

    /// Frame count the container declares (0 when unknown).
    var declaredFrameCount: Int { Int(stream.pointee.nb_frames) }

    /// Counts the stream's packets without decoding (fast; one packet is one frame for video codecs).
    func countPackets() -> Int {
        guard let pkt = av_packet_alloc() else { return 0 }
        var p: UnsafeMutablePointer<AVPacket>? = pkt
        defer { av_packet_free(&p) }
        var n = 0
        while av_read_frame(format, pkt) >= 0 {
            if pkt.pointee.stream_index == streamIndex { n += 1 }
            av_packet_unref(pkt)
        }
        return n
    }

    /// Outcome of a decode pass.
    struct Pass {
        var decoded = 0
        var bad = 0
        var lastError: String?
    }

    /// Decodes frames in order, handing each upright picture and its index to `body`,
    /// which returns `false` to stop early.
    @discardableResult
    func decode(_ body: (Int, RGBImage) throws -> Bool) throws -> Pass {
        guard let pkt = av_packet_alloc(), let frame = av_frame_alloc() else {
            throw MediaError.noFrames(path: path, reason: "out of memory")
        }
        var p: UnsafeMutablePointer<AVPacket>? = pkt
        var f: UnsafeMutablePointer<AVFrame>? = frame
        defer { av_packet_free(&p); av_frame_free(&f) }
        var pass = Pass()

        // Drains decoded frames; returns false when `body` asked to stop.
        func drain() throws -> Bool {
            while true {
                let rc = avcodec_receive_frame(codec, frame)
                if rc == averrorEAGAIN || rc == averrorEOF { return true }
                if rc < 0 { pass.bad += 1; pass.lastError = ffmpegMessage(rc); return true }
                defer { av_frame_unref(frame) }
                if frame.pointee.decode_error_flags != 0 || (frame.pointee.flags & AV_FRAME_FLAG_CORRUPT) != 0 {
                    pass.bad += 1
                    pass.lastError = "corrupt frame \(pass.decoded + pass.bad - 1)"
                    continue
                }
                guard let rgb = converter.rgb(from: frame) else {
                    pass.bad += 1; pass.lastError = "pixel format conversion failed"; continue
                }
                let upright = rgb.rotatedClockwise(quarterTurns: quarterTurns)
                let index = pass.decoded
                pass.decoded += 1
                if try !body(index, upright) { return false }
            }
        }

        while true {
            let rc = av_read_frame(format, pkt)
            if rc < 0 {
                if rc != averrorEOF { pass.lastError = ffmpegMessage(rc) }
                break
            }
            defer { av_packet_unref(pkt) }
            guard pkt.pointee.stream_index == streamIndex else { continue }
            let sent = avcodec_send_packet(codec, pkt)
            if sent < 0 && sent != averrorEAGAIN {
                pass.bad += 1
                pass.lastError = ffmpegMessage(sent)
                continue
            }
            if try !drain() { return pass }
        }
        avcodec_send_packet(codec, nil)  // flush delayed frames
        _ = try drain()
        return pass
    }
}
