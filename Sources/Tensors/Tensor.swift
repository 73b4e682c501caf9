/// A dense Float32 tensor, row-major (last index fastest), with value semantics (copy-on-write storage).
///
/// Shapes are written outermost first, e.g. `[N, C, H, W]` for images and latents, `[B, T, D]` for token
/// sequences. Operations live in `Tensor+*.swift` files beside this one, one family per file.
public struct Tensor: Sendable {
    public private(set) var shape: [Int]
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        precondition(scalars.count == shape.reduce(1, *), "Tensor: \(scalars.count) values for shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor whose values are written by `fill` into uninitialised storage (every element must be written).
    public init(shape: [Int], uninitialized fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let n = shape.reduce(1, *)
        self.shape = shape
        // No buffer for n = 0: Array(unsafeUninitializedCapacity: 0) writes the count of the shared empty-array
        // storage, a (benign) data race ThreadSanitizer reports when threads do it at once.
        guard n > 0 else {
            self.scalars = []
            fill(UnsafeMutableBufferPointer(start: nil, count: 0))
            return
        }
        self.scalars = [Float](unsafeUninitializedCapacity: n) { buffer, count in
            fill(buffer)
            count = n
        }
    }

    /// Storage of `count` floats left unfilled: the caller writes every element before reading it. No buffer for
    /// count 0 (see `init(shape:uninitialized:)`).
    static func unfilled(_ count: Int) -> [Float] {
        guard count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// Same values, another shape with the same element count; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "reshape: cannot infer -1 in \(newShape) for \(shape)")
            s[i] = count / known
        }
        precondition(s.reduce(1, *) == count, "reshape: \(shape) (\(count) values) cannot become \(newShape)")
        var t = self
        t.shape = s
        return t
    }

    /// Element strides for the current shape.
    public var strides: [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }
}

extension Tensor: Equatable {}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = scalars.prefix(6).map { String(format: "%.5g", $0) }.joined(separator: ", ")
        return "Tensor\(shape)[\(head)\(count > 6 ? ", …" : "")]"
    }
}

import Foundation
