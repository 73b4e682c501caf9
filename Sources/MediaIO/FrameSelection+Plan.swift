extension FrameSelection {
    /// What this selection will produce from a clip, known before decoding anything: the number of frames and
    /// their size after crop and resize (for memory checks up front).
    public func plannedOutput(for info: VideoInfo) throws -> (frames: Int, size: Size) {
        try validate(path: info.path)
        let frames = indices(total: info.frameCount, frameRate: info.frameRate).count
        var source = info.size
        if let crop {
            let r = try crop.resolve(in: info.size, path: info.path)
            source = Size(width: r.width, height: r.height)
        }
        return (frames, size.plan(for: source).output)
    }
}
