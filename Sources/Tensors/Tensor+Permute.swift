/// Axis permutation (`.permute(...).contiguous()`), the UNet's [N, C, HW] ↔ [N, HW, C] layout changes above all.
extension Tensor {
    /// Axes reordered: `permuted([0, 2, 1])` turns [B, T, D] into [B, D, T] (values moved, like `.permute().contiguous()`).
    ///
    /// Source axes that stay adjacent and in order are merged first, so every permutation becomes one of:
    /// contiguous runs moved as blocks (the last axis stays last), a batched 2D transpose ([B, X, Y] → [B, Y, X],
    /// copied in 16x16 tiles so reads and writes both stay in cache lines), or a general strided gather per output
    /// row. All three run on both cores for large tensors.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permute: \(axes) for rank \(rank)")
        if axes == Array(0..<rank) || count == 0 { return self }
        let newShape = axes.map { shape[$0] }
        // Merge runs of consecutive source axes: groups[g] = source axes of output group g, in order.
        var groups: [[Int]] = []
        for a in axes where shape[a] != 1 {
            if let last = groups.last?.last, last < a, (last + 1..<a).allSatisfy({ shape[$0] == 1 }) {
                groups[groups.count - 1].append(a)
            } else {
                groups.append([a])
            }
        }
        // One group (the rest size 1): the values keep their order.
        if groups.count <= 1 { return Tensor(shape: newShape, scalars: scalars) }
        // Collapsed source dims in source order, and the output's order of them.
        let order = groups.indices.sorted { groups[$0][0] < groups[$1][0] }
        let sourceDims = order.map { g in groups[g].reduce(1) { $0 * shape[$1] } }
        var sourceStrides = [Int](repeating: 1, count: sourceDims.count)
        for i in stride(from: sourceDims.count - 2, through: 0, by: -1) { sourceStrides[i] = sourceStrides[i + 1] * sourceDims[i + 1] }
        // For output group g: its extent and its stride in the source.
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($0.element, $0.offset) })
        let dims = groups.indices.map { sourceDims[position[$0]!] }
        let strides = groups.indices.map { sourceStrides[position[$0]!] }
        let src = scalars
        return Tensor(shape: newShape) { out in
            let dst = SharedPointer(base: out.baseAddress!)
            src.withUnsafeBufferPointer { s in
                let sp = s.baseAddress!
                if strides.last == 1 {
                    Tensor.copyRuns(sp, dst.base, dims: dims, strides: strides)
                } else if dims.count <= 3, strides[dims.count - 2] == 1, dims.count == 2 || strides[0] == dims[1] * dims[2] {
                    // [B, Y, X] from a source laid out [B, X, Y]: a batched transpose.
                    let batch = dims.count == 3 ? dims[0] : 1, y = dims[dims.count - 2], x = dims[dims.count - 1]
                    Tensor.transposeTiles(sp, dst.base, batch: batch, rows: x, columns: y)
                } else {
                    Tensor.gatherRows(sp, dst.base, dims: dims, strides: strides)
                }
            }
        }
    }

    /// Output rows of `dims.last` contiguous source values: one block copy per row.
    private static func copyRuns(_ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, dims: [Int], strides: [Int]) {
        let run = dims[dims.count - 1], rows = dims.dropLast().reduce(1, *)
        let out = SharedPointer(base: d)
        parallelChunks(rows, minimumPerChunk: max(1, (1 << 15) / run)) { range in
            for row in range {
                out.base.advanced(by: row * run).update(from: s + sourceOffset(row, dims: dims.dropLast(), strides: strides), count: run)
            }
        }
    }

    /// `batch` source matrices [rows, columns] written transposed ([columns, rows]), 16x16 tiles at a time.
    private static func transposeTiles(_ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, batch: Int, rows: Int, columns: Int) {
        let tile = 16, tileRows = (rows + tile - 1) / tile
        let out = SharedPointer(base: d)
        parallelChunks(batch * tileRows, minimumPerChunk: max(1, (1 << 15) / max(1, tile * columns))) { range in
            for job in range {
                let b = job / tileRows, r0 = (job % tileRows) * tile, r1 = min(rows, r0 + tile)
                let source = s + b * rows * columns, target = out.base + b * rows * columns
                var c0 = 0
                while c0 < columns {
                    let c1 = min(columns, c0 + tile)
                    for c in c0..<c1 { for r in r0..<r1 { target[c * rows + r] = source[r * columns + c] } }
                    c0 = c1
                }
            }
        }
    }

    /// The general case: each output row gathered from the source with the last group's stride.
    private static func gatherRows(_ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, dims: [Int], strides: [Int]) {
        let run = dims[dims.count - 1], step = strides[strides.count - 1], rows = dims.dropLast().reduce(1, *)
        let out = SharedPointer(base: d)
        parallelChunks(rows, minimumPerChunk: max(1, (1 << 15) / run)) { range in
            for row in range {
                let base = s + sourceOffset(row, dims: dims.dropLast(), strides: strides)
                let target = out.base + row * run
                for j in 0..<run { target[j] = base[j * step] }
            }
        }
    }

    /// Source offset of output row `row` of the leading groups `dims` (row-major over them).
    @inline(__always)
    private static func sourceOffset(_ row: Int, dims: ArraySlice<Int>, strides: [Int]) -> Int {
        var rest = row, offset = 0
        for g in stride(from: dims.count - 1, through: 0, by: -1) {
            offset += (rest % dims[g]) * strides[g]
            rest /= dims[g]
        }
        return offset
    }
}
