import Diffusion
import Foundation
import MediaIO
import Yams

/// The editing configuration files of ContextDiff, Tune-A-Video and FateZero (`pretrained_model_path`,
/// `dataset_config`, `editing_config`; see /work/shared/reference/ in the project notes). Keys ctxedit does not use
/// (training settings, xformers, ...) are listed once in a note; OmegaConf interpolations such as
/// `${..dataset_config.n_sample_frame}` are resolved where a used key holds one.
extension Pipeline {
    static let contextDiffMarkers = ["pretrained_model_path", "dataset_config", "editing_config"]

    static func parseContextDiff(_ root: YAMLMapping, file: String) throws -> Pipeline {
        // The research scripts run from their repository root: try the current directory, then the file's folder.
        let paths = PathResolver(bases: [".", PathResolver.folder(of: file)])
        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let interpolation = Interpolation(root: root)
        var unused = root.keysNot(in: contextDiffMarkers)

        let dataset = try root.required("dataset_config", hint: "a ContextDiff config names its clip in dataset_config.path").mapping()
        let datasetKeys = ["path", "prompt", "n_sample_frame", "sampling_rate", "start_sample_frame", "offset", "width", "height"]
        unused += dataset.keysNot(in: datasetKeys)
        let pathField = try dataset.required("path")
        let clip = ClipSpec(path: paths.resolve(try pathField.string()), caption: try dataset.optional("prompt")?.string(),
                            origin: Origin(file: file, line: pathField.line, key: pathField.key))

        var selection = FrameSelection(count: 8, size: .exact(width: 512, height: 512))
        if let n = dataset.optional("n_sample_frame") { selection.count = try interpolation.positive(n) }
        if let rate = dataset.optional("sampling_rate") { selection.stride = try interpolation.positive(rate) }
        if let start = dataset.optional("start_sample_frame") {
            let first = try interpolation.int(start)
            if first < 0 { throw start.error(.invalidValue, "the first frame cannot be negative") }
            selection.start = .frame(first)
        }
        if let offset = dataset.optional("offset") {
            let box = try parseCrop(offset)
            if box != .margins(left: 0, top: 0, right: 0, bottom: 0) { selection.crop = box }
        }
        let width = try dataset.optional("width").map(interpolation.positive)
        let height = try dataset.optional("height").map(interpolation.positive)
        if width != nil || height != nil { selection.size = .exact(width: width ?? height ?? 512, height: height ?? width ?? 512) }

        let editing = try root.required("editing_config", hint: "a ContextDiff config lists its prompts in editing_config.editing_prompts").mapping()
        unused += editing.keysNot(in: ["editing_prompts", "guidance_scale", "num_inference_steps", "sample_seeds", "strength"])
        var sampler = SamplerSpec()
        // ContextDiff edits every pixel (its configs change whole scenes: "... covered with snow"); the edit region
        // is ctxedit's own, set in ctxedit's pipeline shape.
        sampler.region = .whole
        if let g = editing.optional("guidance_scale") { sampler.guidance = try interpolation.double(g) }
        if let steps = editing.optional("num_inference_steps") {
            sampler.steps = try interpolation.positive(steps)
            if sampler.steps > 1000 { throw steps.error(.invalidValue, "steps must be 1 to 1000, found \(sampler.steps)") }
        }
        if let st = editing.optional("strength") {
            sampler.strength = try interpolation.double(st)
            if !EditSettings.isValidStrength(sampler.strength) {
                throw st.error(.invalidValue, "strength must be in (0, 1] (1 inverts all the way), found \(st.shape)")
            }
        }
        var edits = try parseEdits(try editing.required("editing_prompts"))
        var notes: [String] = []
        if let seedsField = editing.optional("sample_seeds") {
            let seeds = try seedsField.list().map { item -> UInt64 in
                guard let v = UInt64(try interpolation.text(item)) else {
                    throw item.error(.invalidValue, "expected a whole number from 0, found \(item.shape)")
                }
                return v
            }
            if let first = seeds.first { edits = edits.map { var e = $0; e.seed = first; return e } }
            if seeds.count > 1 {
                notes.append("\(file): sample_seeds lists \(seeds.count) seeds; ctxedit's DDIM edit starts from the inverted latent, so every seed gives the same result: only \(seeds[0]) is recorded")
            }
        }
        if !unused.isEmpty {
            let list = unused.sorted { ($0.line ?? 0) < ($1.line ?? 0) }.map { "\($0.key)\($0.line.map { " (line \($0))" } ?? "")" }.joined(separator: ", ")
            notes.insert("\(file): not used by ctxedit run (training and research-code settings): \(list)", at: 0)
        }
        return Pipeline(
            file: file, name: name, shape: .contextDiff,
            model: try root.optional("pretrained_model_path").map { try $0.string() }.flatMap { $0.isEmpty ? nil : paths.resolve($0) },
            input: InputSpec(source: .clips([clip]), origin: clip.origin, caption: .text("")),
            selection: selection, sampler: sampler, edits: edits,
            output: OutputSpec(folder: defaultOutputFolder(name)), notes: notes)
    }

    /// `out/NAME` under the current directory.
    static func defaultOutputFolder(_ name: String) -> String { "out/\(name)" }
}

/// OmegaConf-style `${path}` references inside one document: `${a.b}` from the root, `${.b}` a sibling,
/// `${..a.b}` from the parent of the containing mapping (one more dot per level up).
struct Interpolation {
    let root: YAMLMapping

    /// The text of `field`, following a `${...}` reference when it is one.
    func text(_ field: YAMLField) throws -> String {
        try resolve(field).string()
    }

    func int(_ field: YAMLField) throws -> Int { try resolve(field).int() }
    func double(_ field: YAMLField) throws -> Double { try resolve(field).double() }

    func positive(_ field: YAMLField) throws -> Int {
        let n = try int(field)
        if n <= 0 { throw field.error(.invalidValue, "expected a positive whole number, found \(n)") }
        return n
    }

    func resolve(_ field: YAMLField, depth: Int = 0) throws -> YAMLField {
        guard let text = field.node.scalar?.string, text.hasPrefix("${"), text.hasSuffix("}") else { return field }
        let reference = String(text.dropFirst(2).dropLast())
        let dots = reference.prefix { $0 == "." }.count
        var path = Self.components(field.key).dropLast()   // the containing mapping
        if dots > 0 { path = path.dropLast(min(path.count, dots - 1)) } else { path = [] }
        let target = Array(path) + reference.dropFirst(dots).split(separator: ".").map(String.init)
        var map = root
        var found: YAMLField?
        for (i, name) in target.enumerated() {
            guard let next = map.optional(name) else { found = nil; break }
            if i == target.count - 1 { found = next } else { guard let m = try? next.mapping() else { break }; map = m }
        }
        guard let value = found, depth < 8 else {
            throw field.error(.invalidValue, "the interpolation \(text) names no value in this file",
                              hint: "write the number itself")
        }
        return try resolve(value, depth: depth + 1)
    }

    /// `a.b[2].c` → ["a", "b", "c"] (list indices are not followed).
    static func components(_ key: String) -> [String] {
        key.split(separator: ".").map { String($0.prefix { $0 != "[" }) }
    }
}
