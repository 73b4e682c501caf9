import Diffusion
import Foundation
import MediaIO

/// ctxedit's own pipeline schema (see README, "Pipeline files"). Every key is checked: unknown keys, wrong types
/// and missing required keys are errors naming the file, the line and the key.
extension Pipeline {
    static let topKeys = ["version", "model", "tuned", "input", "frames", "sampler", "edits", "output"]

    static func parseSchema(_ root: YAMLMapping, file: String) throws -> Pipeline {
        try root.checkKnown(topKeys, extensionPrefix: "x-")   // x-NAME: free blocks for YAML anchors (&name / *name)
        if let version = root.optional("version"), try version.int() != 1 {
            throw version.error(.invalidValue, "this ctxedit reads version 1 pipeline files", hint: "write version: 1")
        }
        let paths = PathResolver(bases: [PathResolver.folder(of: file)])
        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        var selection = FrameSelection(count: 8, size: .shortSide(512))
        if let frames = root.optional("frames") { selection = try parseFrames(try frames.mapping()) }
        var sampler = SamplerSpec()
        if let section = root.optional("sampler") { sampler = try parseSampler(try section.mapping(), paths: paths) }
        let editsField = try root.required("edits", hint: "list the edits, e.g. edits: [\"a porsche driving down a road\"]")
        var output = OutputSpec(folder: defaultOutputFolder(name))
        if let section = root.optional("output") {
            output = try parseOutput(try section.mapping(), paths: paths, default: output)
        }
        return Pipeline(
            file: file, name: name, shape: .ctxedit,
            model: try root.optional("model").map { try $0.string() }.flatMap { $0.isEmpty ? nil : paths.resolve($0) },
            input: try parseInput(try root.required("input", hint: "give input: {folder: DIR} or {glob: PATTERN} or {clips: [...]}"),
                                  paths: paths),
            selection: selection, sampler: sampler, edits: try parseEdits(editsField), output: output,
            tuned: try root.optional("tuned").map { try $0.string() }.flatMap { $0.isEmpty ? nil : paths.resolve($0) })
    }

    static func parseInput(_ field: YAMLField, paths: PathResolver) throws -> InputSpec {
        let map = try field.mapping()
        try map.checkKnown(["folder", "glob", "clips", "caption"])
        let given = ["folder", "glob", "clips"].filter { map.optional($0) != nil }
        guard given.count == 1 else {
            throw field.error(given.isEmpty ? .missingKey : .invalidValue,
                              given.isEmpty ? "missing the clips: give one of folder, glob or clips"
                                            : "give only one of folder, glob or clips (found \(given.joined(separator: " and ")))")
        }
        let origin = Origin(file: field.file, line: map.optional(given[0])?.line, key: "input.\(given[0])")
        var caption = CaptionRule.sidecar
        if let text = try map.optional("caption")?.string(), text != "sidecar" { caption = .text(text) }
        let source: InputSpec.Source
        switch given[0] {
        case "folder": source = .folder(paths.resolve(try map.required("folder").string()))
        case "glob": source = .glob(paths.resolve(try map.required("glob").string()))
        default:
            source = .clips(try map.required("clips").list().map { item in
                let at = Origin(file: item.file, line: item.line, key: item.key)
                if item.node.scalar != nil { return ClipSpec(path: paths.resolve(try item.string()), caption: nil, origin: at) }
                let clip = try item.mapping()
                try clip.checkKnown(["path", "caption"])
                return ClipSpec(path: paths.resolve(try clip.required("path").string()),
                                caption: try clip.optional("caption")?.string(), origin: at)
            })
        }
        return InputSpec(source: source, origin: origin, caption: caption)
    }

    static func parseFrames(_ map: YAMLMapping) throws -> FrameSelection {
        try map.checkKnown(["count", "stride", "start", "crop", "size"])
        var s = FrameSelection(count: 8, size: .shortSide(512))
        if let count = map.optional("count") { s.count = try count.node.scalar?.string == "all" ? nil : positive(count) }
        if let stride = map.optional("stride") { s.stride = try positive(stride) }
        if let start = map.optional("start") {
            let text = try start.string()
            if text.hasSuffix("s"), let seconds = Double(text.dropLast()), seconds >= 0, seconds.isFinite {
                s.start = .seconds(seconds)
            } else if let frame = Int(text), frame >= 0 {
                s.start = .frame(frame)
            } else {
                throw start.error(.invalidValue, "expected a frame index (12) or seconds (1.5s), found \(start.shape)")
            }
        }
        if let crop = map.optional("crop") { s.crop = try parseCrop(crop) }
        if let size = map.optional("size") {
            guard let target = SizeTarget(parsing: try size.string()) else {
                throw size.error(.invalidValue, "expected a short side (512), WxH (512x320) or original, found \(size.shape)")
            }
            try checkPositive(target, size)
            s.size = target
        }
        return s
    }

    static func checkPositive(_ target: SizeTarget, _ field: YAMLField) throws {
        switch target {
        case .shortSide(let n) where n <= 0, .exact(width: let n, height: _) where n <= 0, .exact(width: _, height: let n) where n <= 0:
            throw field.error(.invalidValue, "the size must be positive, found \(field.shape)")
        default: break
        }
    }

    /// `WxH+X+Y`, `L,T,R,B`, or a mapping of `left/top/right/bottom` margins.
    static func parseCrop(_ field: YAMLField) throws -> CropBox {
        if field.node.mapping != nil {
            let map = try field.mapping()
            try map.checkKnown(["left", "top", "right", "bottom"])
            func margin(_ k: String) throws -> Int {
                guard let v = map.optional(k) else { return 0 }
                let n = try v.int()
                if n < 0 { throw v.error(.invalidValue, "a margin cannot be negative") }
                return n
            }
            return .margins(left: try margin("left"), top: try margin("top"), right: try margin("right"), bottom: try margin("bottom"))
        }
        guard let box = CropBox(parsing: try field.string()) else {
            throw field.error(.invalidValue, "expected WxH+X+Y, L,T,R,B or {left, top, right, bottom}, found \(field.shape)")
        }
        return box
    }

    static func parseSampler(_ map: YAMLMapping, paths: PathResolver) throws -> SamplerSpec {
        try map.checkKnown(["steps", "guidance", "negative_prompt", "adapter", "frame_attention", "region", "strength", "region_noise", "cache"])
        var s = SamplerSpec()
        if let steps = map.optional("steps") {
            s.steps = try steps.int()
            if !(1...1000).contains(s.steps) { throw steps.error(.invalidValue, "steps must be 1 to 1000, found \(s.steps)") }
        }
        if let g = map.optional("guidance") { s.guidance = try g.double() }
        if let n = map.optional("negative_prompt") { s.negativePrompt = try n.string() }
        if let a = map.optional("adapter") { s.adapter = try a.bool() }
        if let f = map.optional("frame_attention") {
            guard let sources = SamplerSpec.frameAttention(parsing: try f.string()) else {
                throw f.error(.invalidValue, "expected sparse-causal, all or window:N, found \(f.shape)")
            }
            s.frameAttention = sources
        }
        if let r = map.optional("region") {
            guard let region = EditRegion(parsing: try r.string()) else {
                throw r.error(.invalidValue, "expected \(EditRegion.accepted), found \(r.shape)")
            }
            s.region = region
        }
        if let st = map.optional("strength") {
            s.strength = try st.double()
            if !EditSettings.isValidStrength(s.strength) {
                throw st.error(.invalidValue, "strength must be in (0, 1] (1 inverts all the way), found \(st.shape)")
            }
        }
        if let rn = map.optional("region_noise") {
            s.regionNoise = try rn.double()
            if !EditSettings.isValidRegionNoise(s.regionNoise) {
                throw rn.error(.invalidValue, "region_noise must be in [0, 1] (0 keeps the inversion), found \(rn.shape)")
            }
            if s.regionNoise > 0 && s.region == .whole {
                throw rn.error(.invalidValue, "region_noise loosens the edit region and region: whole has none; use region: auto or leave region_noise out")
            }
        }
        if let c = map.optional("cache") {
            let text = try c.string()
            if ["false", "no", "off"].contains(text.lowercased()) {
                s.cache = .off
            } else if !["true", "yes", "on"].contains(text.lowercased()) {
                s.cache = .folder(paths.resolve(text))
            }
        }
        return s
    }

    static func parseEdits(_ field: YAMLField) throws -> [EditSpec] {
        let items = try field.list()
        if items.isEmpty { throw field.error(.invalidValue, "the list of edits is empty", hint: "give at least one prompt") }
        var edits: [EditSpec] = []
        var explicit: Set<String> = []
        for item in items {
            let origin = Origin(file: item.file, line: item.line, key: item.key)
            var edit: EditSpec
            var named = false
            if item.node.scalar != nil {
                edit = EditSpec(name: "", prompt: try item.string(), origin: origin)
            } else {
                let map = try item.mapping()
                try map.checkKnown(["prompt", "name", "seed", "guidance", "negative_prompt"])
                edit = EditSpec(name: "", prompt: try map.required("prompt").string(), origin: origin)
                if let name = map.optional("name") {
                    edit.name = try checkName(name)
                    named = true
                }
                if let seed = map.optional("seed") {
                    guard let v = UInt64(try seed.string()) else {
                        throw seed.error(.invalidValue, "expected a whole number from 0, found \(seed.shape)")
                    }
                    edit.seed = v
                }
                if let g = map.optional("guidance") { edit.guidance = try g.double() }
                if let n = map.optional("negative_prompt") { edit.negativePrompt = try n.string() }
            }
            if edit.prompt.trimmingCharacters(in: .whitespaces).isEmpty {
                throw item.error(.invalidValue, "the prompt is empty", hint: "describe the edited clip")
            }
            if named {
                if explicit.contains(edit.name) || edits.contains(where: { $0.name == edit.name }) {
                    throw item.error(.invalidValue, "the edit name \"\(edit.name)\" is used twice", hint: "names must be unique: outputs are CLIP/NAME.mp4")
                }
                explicit.insert(edit.name)
            }
            edits.append(edit)
        }
        return nameEdits(edits, explicit: explicit)
    }

    /// Unnamed edits get the slug of their prompt, with `-2`, `-3`, ... when that name is taken.
    static func nameEdits(_ edits: [EditSpec], explicit: Set<String>) -> [EditSpec] {
        var taken = explicit.union(reservedNames)
        return edits.map { edit in
            guard edit.name.isEmpty else { return edit }
            var e = edit
            let base = slug(edit.prompt)
            var candidate = base, n = 2
            while taken.contains(candidate) { candidate = "\(base)-\(n)"; n += 1 }
            taken.insert(candidate)
            e.name = candidate
            return e
        }
    }

    /// Names of files a clip's output folder holds besides the edits.
    static let reservedNames: Set<String> = ["source", "strip"]

    static func checkName(_ field: YAMLField) throws -> String {
        let name = try field.string()
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-".contains($0)) }
        guard !name.isEmpty, allowed, name.first != "-" else {
            throw field.error(.invalidValue, "\"\(name)\" is not a usable file name",
                              hint: "use letters, digits, '_' and '-' (outputs are CLIP/NAME.mp4)")
        }
        if reservedNames.contains(name) {
            throw field.error(.invalidValue, "\"\(name)\" is reserved (the clip folder holds \(name).mp4/.png)", hint: "choose another name")
        }
        return name
    }

    static func positive(_ field: YAMLField) throws -> Int {
        let n = try field.int()
        if n <= 0 { throw field.error(.invalidValue, "expected a positive whole number, found \(n)") }
        return n
    }

    static func parseOutput(_ map: YAMLMapping, paths: PathResolver, default base: OutputSpec) throws -> OutputSpec {
        try map.checkKnown(["folder", "formats", "strip", "gallery"])
        var out = base
        if let folder = map.optional("folder") { out.folder = paths.resolve(try folder.string()) }
        if let formats = map.optional("formats") {
            out.formats = try formats.list().map { item in
                guard let f = OutputFormat(rawValue: try item.string().lowercased()) else {
                    throw item.error(.invalidValue, "unknown format \(item.shape)", hint: "use mp4 and/or gif")
                }
                return f
            }
            if out.formats.isEmpty { throw formats.error(.invalidValue, "no output format given", hint: "use mp4 and/or gif") }
        }
        if let strip = map.optional("strip") { out.strip = try strip.bool() }
        if let gallery = map.optional("gallery") { out.gallery = try gallery.bool() }
        return out
    }
}
