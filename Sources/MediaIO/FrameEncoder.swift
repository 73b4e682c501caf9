import CFFmpeg
import CFFmpegShim
import Foundation

/// One libavcodec encoder, optionally feeding a libavformat muxer that writes `path`.
/// Used by `VideoWriter` (H.264 / MPEG-4 in MP4, GIF) and `ImageWriter` (PNG, no muxer).
final class FrameEncoder {
    let path: String
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var output: UnsafeMutablePointer<AVFormatContext>?
    private var stream: UnsafeMutablePointer<AVStream>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private let converter = PixelConverter()
    /// Packets collected when there is no muxer (still images).
    private(set) var packets = Data()
    let encoderName: String

    /// - Parameters:
    ///   - encoders: names to try in order (e.g. `["libx264", "mpeg4"]`); the first this libavcodec has is used.
    ///   - muxer: FFmpeg muxer name (`mp4`, `gif`), or `nil` to collect raw packets (PNG).
    ///   - timeBase: encoder time base; frame `i` gets pts `pts(i)`.
    ///   - rotation: degrees clockwise players should turn the picture (container metadata, muxers that support it).
    init(path: String, encoders: [String], muxer: String?, width: Int, height: Int, pixelFormat: AVPixelFormat,
         timeBase: AVRational, frameRate: AVRational, options: [String: String] = [:], rotation: Int = 0) throws {
        _ = quietFFmpegLogging
        self.path = path
        guard let encoder = encoders.lazy.compactMap({ avcodec_find_encoder_by_name($0) }).first else {
            throw MediaError.writeFailed(path: path, reason: "this FFmpeg has none of the encoders \(encoders.joined(separator: ", "))")
        }
        encoderName = String(cString: encoder.pointee.name)
        guard let ctx = avcodec_alloc_context3(encoder), let f = av_frame_alloc(), let p = av_packet_alloc() else {
            throw MediaError.writeFailed(path: path, reason: "out of memory")
        }
        codec = ctx; frame = f; packet = p
        ctx.pointee.width = Int32(width)
        ctx.pointee.height = Int32(height)
        ctx.pointee.pix_fmt = pixelFormat
        ctx.pointee.time_base = timeBase
        ctx.pointee.framerate = frameRate
        ctx.pointee.gop_size = 12
        ctx.pointee.thread_count = 0
        if encoderName == "mpeg4" {
            // Constant quantizer 2: near-transparent quality for MPEG-4 Part 2.
            ctx.pointee.flags |= AV_CODEC_FLAG_QSCALE
            ctx.pointee.global_quality = FF_QP2LAMBDA * 2
        }
        for (key, value) in options { av_opt_set(ctx.pointee.priv_data, key, value, 0) }

        if let muxer {
            var oc: UnsafeMutablePointer<AVFormatContext>? = nil
            let rc = avformat_alloc_output_context2(&oc, nil, muxer, path)
            guard rc >= 0, let oc else { throw fail("cannot set up the \(muxer) writer: \(ffmpegMessage(rc))") }
            output = oc
            if (oc.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 {
                ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
            }
        }
        var rc = avcodec_open2(ctx, encoder, nil)
        guard rc >= 0 else { throw fail("cannot open the \(encoderName) encoder: \(ffmpegMessage(rc))") }

        f.pointee.format = pixelFormat.rawValue
        f.pointee.width = Int32(width)
        f.pointee.height = Int32(height)
        rc = av_frame_get_buffer(f, 0)
        guard rc >= 0 else { throw fail(ffmpegMessage(rc)) }

        if let oc = output {
            guard let st = avformat_new_stream(oc, nil) else { throw fail("cannot add a stream") }
            stream = st
            avcodec_parameters_from_context(st.pointee.codecpar, ctx)
            st.pointee.time_base = timeBase
            st.pointee.avg_frame_rate = frameRate
            if rotation % 360 != 0 { _ = ctx_stream_set_rotation(st, Double(rotation)) }
            rc = avio_open(&oc.pointee.pb, path, AVIO_FLAG_WRITE)
            guard rc >= 0 else { throw fail(ffmpegMessage(rc)) }
            rc = avformat_write_header(oc, nil)
            guard rc >= 0 else { throw fail(ffmpegMessage(rc)) }
        }
    }

    deinit {
        if let oc = output {
            if oc.pointee.pb != nil { avio_closep(&oc.pointee.pb) }
            avformat_free_context(oc)
        }
        avcodec_free_context(&codec)
        av_frame_free(&frame)
        av_packet_free(&packet)
    }

    private func fail(_ reason: String) -> MediaError { MediaError.writeFailed(path: path, reason: reason) }

    /// Encodes an RGB picture (converted to the encoder's pixel format; the picture must have the encoder's size).
    func encode(_ image: RGBImage, pts: Int64) throws {
        guard let frame, let ctx = codec else { return }
        let rc = av_frame_make_writable(frame)
        guard rc >= 0 else { throw fail(ffmpegMessage(rc)) }
        let ok = image.pixels.withUnsafeBufferPointer { src -> Bool in
            var srcData: [UnsafePointer<UInt8>?] = [src.baseAddress, nil, nil, nil]
            var srcLines: [Int32] = [Int32(image.width * 3), 0, 0, 0]
            return withUnsafePointer(to: &frame.pointee.data) { dataTuple in
                dataTuple.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dstData in
                    withUnsafePointer(to: &frame.pointee.linesize) { lineTuple in
                        lineTuple.withMemoryRebound(to: Int32.self, capacity: 8) { dstLines in
                            converter.convert(srcData: &srcData, srcLinesize: &srcLines,
                                              srcWidth: Int32(image.width), srcHeight: Int32(image.height),
                                              srcFormat: AV_PIX_FMT_RGB24,
                                              dstData: dstData, dstLinesize: dstLines,
                                              dstWidth: ctx.pointee.width, dstHeight: ctx.pointee.height,
                                              dstFormat: ctx.pointee.pix_fmt)
                        }
                    }
                }
            }
        }
        guard ok else { throw fail("pixel format conversion failed") }
        try send(pts: pts)
    }

    /// Encodes a palettized picture: `indices` [H, W] into `palette` (at most 256 colours).
    func encode(indices: [UInt8], palette: [(UInt8, UInt8, UInt8)], pts: Int64) throws {
        guard let frame else { return }
        let rc = av_frame_make_writable(frame)
        guard rc >= 0 else { throw fail(ffmpegMessage(rc)) }
        let w = Int(frame.pointee.width), h = Int(frame.pointee.height), stride = Int(frame.pointee.linesize.0)
        guard let rows = frame.pointee.data.0, let pal = frame.pointee.data.1 else { throw fail("no frame buffer") }
        for y in 0..<h {
            for x in 0..<w { rows[y * stride + x] = indices[y * w + x] }
        }
        let entries = UnsafeMutableRawPointer(pal).assumingMemoryBound(to: UInt32.self)
        for i in 0..<256 {
            let c = i < palette.count ? palette[i] : (0, 0, 0)
            entries[i] = 0xFF00_0000 | UInt32(c.0) << 16 | UInt32(c.1) << 8 | UInt32(c.2)
        }
        try send(pts: pts)
    }

    private func send(pts: Int64) throws {
        frame?.pointee.pts = pts
        let rc = avcodec_send_frame(codec, frame)
        guard rc >= 0 else { throw fail("encoding failed: \(ffmpegMessage(rc))") }
        try drain()
    }

    private func drain() throws {
        guard let packet, let ctx = codec else { return }
        while true {
            let rc = avcodec_receive_packet(ctx, packet)
            if rc == averrorEAGAIN || rc == averrorEOF { return }
            guard rc >= 0 else { throw fail("encoding failed: \(ffmpegMessage(rc))") }
            defer { av_packet_unref(packet) }
            if let oc = output, let st = stream {
                av_packet_rescale_ts(packet, ctx.pointee.time_base, st.pointee.time_base)
                packet.pointee.stream_index = st.pointee.index
                let w = av_interleaved_write_frame(oc, packet)
                guard w >= 0 else { throw fail(ffmpegMessage(w)) }
            } else if let data = packet.pointee.data {
                packets.append(data, count: Int(packet.pointee.size))
            }
        }
    }

    /// Flushes the encoder and closes the file.
    func finish() throws {
        let rc = avcodec_send_frame(codec, nil)
        guard rc >= 0 || rc == averrorEOF else { throw fail(ffmpegMessage(rc)) }
        try drain()
        if let oc = output {
            let t = av_write_trailer(oc)
            guard t >= 0 else { throw fail(ffmpegMessage(t)) }
            let c = avio_closep(&oc.pointee.pb)
            guard c >= 0 else { throw fail(ffmpegMessage(c)) }
        }
    }
}
