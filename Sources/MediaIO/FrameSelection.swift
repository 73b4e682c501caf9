import Foundation

/// Which frames of a clip to use and at what size, as video-editing research code selects them
/// (Tune-A-Video / FateZero / ContextDiff `dataset_config`: `n_sample_frame`, `sampling_rate`,
/// `start_sample_frame`, `offset`).
///
/// Order of operations on each selected frame: rotate (container metadata) → crop box → resize to cover the
/// target → center crop to the target.
public struct FrameSelection: Equatable, Sendable {
    /// How many frames to take; `nil` takes every frame from `start` on (after stride).
    public var count: Int?
    /// Take every `stride`-th frame (research configs call it `sampling_rate`). At least 1.
    public var stride: Int
    /// Where the first selected frame is.
    public var start: Start
    /// A region of the (rotated) source to keep before resizing.
    public var crop: CropBox?
    /// The output size.
    public var size: SizeTarget

    public enum Start: Equatable, Sendable {
        case frame(Int)
        case seconds(Double)
    }

    public init(count: Int? = nil, stride: Int = 1, start: Start = .frame(0), crop: CropBox? = nil,
                size: SizeTarget = .original) {
        self.count = count
        self.stride = stride
        self.start = start
        self.crop = crop
        self.size = size
    }

    /// Every frame, unchanged.
    public static let all = FrameSelection()

    /// Checks the numbers that do not depend on the clip.
    public func validate(path: String) throws {
        if let count, count <= 0 {
            throw MediaError.invalidSelection(path: path, reason: "frame count \(count) is not positive; ask for at least 1 frame.")
        }
        if stride <= 0 {
            throw MediaError.invalidSelection(path: path, reason: "stride \(stride) is not positive; use 1 for every frame, 2 for every other frame.")
        }
        switch start {
        case .frame(let f) where f < 0:
            throw MediaError.invalidSelection(path: path, reason: "start frame \(f) is negative; frames count from 0.")
        case .seconds(let s) where !(s >= 0) || !s.isFinite:
            throw MediaError.invalidSelection(path: path, reason: "start time \(s)s is not a non-negative number of seconds.")
        default: break
        }
        try size.validate(path: path)
    }

    /// Index of the first selected frame for a clip of `frameRate` frames per second.
    public func startFrame(frameRate: Double) -> Int {
        switch start {
        case .frame(let f): return f
        case .seconds(let s): return Int((s * frameRate).rounded())
        }
    }

    /// Whether source frame `index` is selected, and whether any later frame can still be (for early stop).
    public func selects(_ index: Int, frameRate: Double, alreadySelected: Int) -> (take: Bool, more: Bool) {
        let first = startFrame(frameRate: frameRate)
        if let count, alreadySelected >= count { return (false, false) }
        guard index >= first, (index - first) % stride == 0 else { return (false, true) }
        let more = count.map { alreadySelected + 1 < $0 } ?? true
        return (true, more)
    }

    /// The selected source indices for a clip of `total` frames (when the total is known).
    public func indices(total: Int, frameRate: Double) -> [Int] {
        let first = startFrame(frameRate: frameRate)
        var out: [Int] = []
        var i = first
        while i < total, count.map({ out.count < $0 }) ?? true {
            out.append(i)
            i += stride
        }
        return out
    }
}

/// A region of the source picture, in pixels of the upright (rotated) frame.
public enum CropBox: Equatable, Sendable {
    /// A rectangle: top-left corner and size.
    case rect(x: Int, y: Int, width: Int, height: Int)
    /// Pixels removed from each edge (research configs' `offset: {left, right, top, bottom}`).
    case margins(left: Int, top: Int, right: Int, bottom: Int)

    /// The rectangle inside a `source`-sized picture, or an error that says why it does not fit.
    public func resolve(in source: Size, path: String) throws -> (x: Int, y: Int, width: Int, height: Int) {
        let r: (x: Int, y: Int, width: Int, height: Int)
        switch self {
        case .rect(let x, let y, let w, let h): r = (x, y, w, h)
        case .margins(let l, let t, let rt, let b):
            guard l >= 0, t >= 0, rt >= 0, b >= 0 else {
                throw MediaError.invalidSelection(path: path, reason: "crop margins must not be negative (left \(l), top \(t), right \(rt), bottom \(b)).")
            }
            r = (l, t, source.width - l - rt, source.height - t - b)
        }
        guard r.width > 0, r.height > 0, r.x >= 0, r.y >= 0,
              r.x + r.width <= source.width, r.y + r.height <= source.height else {
            throw MediaError.invalidSelection(path: path,
                reason: "crop box \(r.width)x\(r.height)+\(r.x)+\(r.y) does not fit inside the \(source) frame; make it smaller.")
        }
        return r
    }

    /// Parses `WxH+X+Y` (a rectangle, as ImageMagick writes geometry) or `L,T,R,B` (margins).
    public init?(parsing text: String) {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s.contains(",") {
            let parts = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 4, let l = parts[0], let t = parts[1], let r = parts[2], let b = parts[3] else { return nil }
            self = .margins(left: l, top: t, right: r, bottom: b)
            return
        }
        let plus = s.split(separator: "+", omittingEmptySubsequences: false)
        guard plus.count == 3, let x = Int(plus[1]), let y = Int(plus[2]) else { return nil }
        let wh = plus[0].lowercased().split(separator: "x")
        guard wh.count == 2, let w = Int(wh[0]), let h = Int(wh[1]) else { return nil }
        self = .rect(x: x, y: y, width: w, height: h)
    }
}

/// The size frames are brought to.
public enum SizeTarget: Equatable, Sendable, CustomStringConvertible {
    /// Keep the (cropped) source size.
    case original
    /// Short side this long, keeping the aspect; both sides rounded to multiples of 8.
    case shortSide(Int)
    /// Exactly this size, rounded to multiples of 8; the source is scaled to cover it and center-cropped.
    case exact(width: Int, height: Int)

    /// Parses `512` (short side) or `WxH`.
    public init?(parsing text: String) {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        if s == "original" || s == "source" { self = .original; return }
        if let n = Int(s) { self = .shortSide(n); return }
        let wh = s.split(separator: "x")
        guard wh.count == 2, let w = Int(wh[0]), let h = Int(wh[1]) else { return nil }
        self = .exact(width: w, height: h)
    }

    public var description: String {
        switch self {
        case .original: return "original"
        case .shortSide(let n): return "\(n)"
        case .exact(let w, let h): return "\(w)x\(h)"
        }
    }

    func validate(path: String) throws {
        switch self {
        case .original: break
        case .shortSide(let n) where n <= 0:
            throw MediaError.invalidSelection(path: path, reason: "size \(n) is not positive; give e.g. 512 or 512x320.")
        case .exact(let w, let h) where w <= 0 || h <= 0:
            throw MediaError.invalidSelection(path: path, reason: "size \(w)x\(h) is not positive; give e.g. 512 or 512x320.")
        default: break
        }
    }

    /// Nearest multiple of 8, at least 8.
    static func multipleOf8(_ v: Double) -> Int { max(8, Int((v / 8).rounded()) * 8) }

    /// How a `source`-sized picture becomes the target: scale to `scaled`, then keep the centered `output` window
    /// whose top-left corner is `offset`.
    public func plan(for source: Size) -> ResizePlan {
        let out: Size
        switch self {
        case .original:
            return ResizePlan(scaled: source, offset: (0, 0), output: source)
        case .shortSide(let n):
            let scale = Double(n) / Double(min(source.width, source.height))
            out = Size(width: Self.multipleOf8(Double(source.width) * scale),
                       height: Self.multipleOf8(Double(source.height) * scale))
        case .exact(let w, let h):
            out = Size(width: Self.multipleOf8(Double(w)), height: Self.multipleOf8(Double(h)))
        }
        // Cover: the smallest uniform scale that fills the output in both directions.
        let f = max(Double(out.width) / Double(source.width), Double(out.height) / Double(source.height))
        let scaled = Size(width: max(out.width, Int((Double(source.width) * f).rounded())),
                          height: max(out.height, Int((Double(source.height) * f).rounded())))
        return ResizePlan(scaled: scaled, offset: ((scaled.width - out.width) / 2, (scaled.height - out.height) / 2), output: out)
    }
}

/// Scale to `scaled`, then crop the `output`-sized window at `offset`.
public struct ResizePlan: Equatable, Sendable {
    public var scaled: Size
    public var offset: (x: Int, y: Int)
    public var output: Size

    public static func == (a: ResizePlan, b: ResizePlan) -> Bool {
        a.scaled == b.scaled && a.offset == b.offset && a.output == b.output
    }
}
