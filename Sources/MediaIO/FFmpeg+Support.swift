import CFFmpeg
import CFFmpegShim

/// FFmpeg's message for an error code (`av_err2str`).
func ffmpegMessage(_ code: Int32) -> String {
    var buf = [CChar](repeating: 0, count: 256)
    return buf.withUnsafeMutableBufferPointer { b in
        String(cString: ctx_av_err2str(code, b.baseAddress, b.count))
    }
}

let averrorEAGAIN = ctx_averror_eagain()
let averrorEOF = ctx_averror_eof()

/// FFmpeg prints to stderr by default; ctxedit reports errors itself.
let quietFFmpegLogging: Void = ctx_av_log_quiet()

extension AVRational {
    var doubleValue: Double { den == 0 ? 0 : Double(num) / Double(den) }
    var isValidRate: Bool { num > 0 && den > 0 }
}

/// An RGB24 → RGB24 (or other pixel format) converter around a cached `SwsContext`.
final class PixelConverter {
    private var context: OpaquePointer?

    deinit { sws_freeContext(context) }

    /// Converts `src` (planes and strides of a `srcFormat` picture) into `dst`.
    func convert(srcData: UnsafePointer<UnsafePointer<UInt8>?>, srcLinesize: UnsafePointer<Int32>,
                 srcWidth: Int32, srcHeight: Int32, srcFormat: AVPixelFormat,
                 dstData: UnsafePointer<UnsafeMutablePointer<UInt8>?>, dstLinesize: UnsafePointer<Int32>,
                 dstWidth: Int32, dstHeight: Int32, dstFormat: AVPixelFormat) -> Bool {
        // Area averaging when shrinking avoids aliasing; bicubic when enlarging; exact chroma either way.
        let shrinking = dstWidth < srcWidth || dstHeight < srcHeight
        let flags = (shrinking ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP
        context = sws_getCachedContext(context, srcWidth, srcHeight, srcFormat, dstWidth, dstHeight, dstFormat,
                                       Int32(flags), nil, nil, nil)
        guard let context else { return false }
        return sws_scale(context, srcData, srcLinesize, 0, srcHeight, dstData, dstLinesize) > 0
    }

    /// A decoded frame as tightly packed RGB24.
    func rgb(from frame: UnsafeMutablePointer<AVFrame>) -> RGBImage? {
        let w = Int(frame.pointee.width), h = Int(frame.pointee.height)
        guard w > 0, h > 0 else { return nil }
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        let ok = pixels.withUnsafeMutableBufferPointer { dst -> Bool in
            var dstData: [UnsafeMutablePointer<UInt8>?] = [dst.baseAddress, nil, nil, nil]
            var dstLines: [Int32] = [Int32(w * 3), 0, 0, 0]
            return withUnsafePointer(to: &frame.pointee.data) { dataTuple in
                dataTuple.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { srcData in
                    withUnsafePointer(to: &frame.pointee.linesize) { lineTuple in
                        lineTuple.withMemoryRebound(to: Int32.self, capacity: 8) { srcLines in
                            convert(srcData: srcData, srcLinesize: srcLines, srcWidth: Int32(w), srcHeight: Int32(h),
                                    srcFormat: AVPixelFormat(frame.pointee.format),
                                    dstData: &dstData, dstLinesize: &dstLines,
                                    dstWidth: Int32(w), dstHeight: Int32(h), dstFormat: AV_PIX_FMT_RGB24)
                        }
                    }
                }
            }
        }
        return ok ? RGBImage(width: w, height: h, pixels: pixels) : nil
    }

    /// `image` resampled to `size` (area averaging down, bicubic up).
    func resize(_ image: RGBImage, to size: Size) -> RGBImage? {
        if image.size == size { return image }
        var out = [UInt8](repeating: 0, count: size.width * size.height * 3)
        let ok = image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst -> Bool in
                var srcData: [UnsafePointer<UInt8>?] = [src.baseAddress, nil, nil, nil]
                var srcLines: [Int32] = [Int32(image.width * 3), 0, 0, 0]
                var dstData: [UnsafeMutablePointer<UInt8>?] = [dst.baseAddress, nil, nil, nil]
                var dstLines: [Int32] = [Int32(size.width * 3), 0, 0, 0]
                return convert(srcData: &srcData, srcLinesize: &srcLines,
                               srcWidth: Int32(image.width), srcHeight: Int32(image.height), srcFormat: AV_PIX_FMT_RGB24,
                               dstData: &dstData, dstLinesize: &dstLines,
                               dstWidth: Int32(size.width), dstHeight: Int32(size.height), dstFormat: AV_PIX_FMT_RGB24)
            }
        }
        return ok ? RGBImage(width: size.width, height: size.height, pixels: out) : nil
    }
}
