import ArgumentParser
import Diffusion
import Foundation
import MediaIO
import Models
import Tensors

/// `ctxedit VIDEO --prompt "..."`: edit a clip (the default subcommand).
struct EditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Edit a clip from a text prompt (ContextDiff: DDIM inversion, then guided, contextualized denoising).",
        discussion: """
        Examples:
          ctxedit Samples/red-circle.mp4 --prompt "a blue square" --model models/sd15
          ctxedit clip.mp4 --prompt "a porsche" --prompt "a jeep in snow" --strip s.png
          ctxedit clip.mov --prompt "a watercolor" --steps 30 --guidance 9 --gif

        For many clips and edits, write a pipeline file and use `ctxedit run` (see `ctxedit run --help`).
        """
    )

    @Argument(help: "The clip: MP4, MOV, AVI, WebM, GIF, ... or a folder of numbered frames.")
    var video: String

    @Option(name: .long, help: "Edit prompt; repeat for several edits from one shared inversion.")
    var prompt: [String] = []

    @Option(help: "Caption of the source clip (default: the sidecar VIDEO.txt when present, else the --tuned caption, else empty).")
    var sourcePrompt: String?

    @OptionGroup var model: ModelOptions
    @OptionGroup var selection: SelectionOptions
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var videoEdit: VideoEditOptions

    @Option(help: "Output clip (default: beside the input as NAME.edit-SLUG.mp4). With several prompts, -SLUG is appended.")
    var out: String?

    @Flag(help: "Also write an animated GIF beside each MP4.")
    var gif = false

    @Option(help: "Write a PNG strip: the source row, then one row per edit.")
    var strip: String?

    @Flag(help: "In the --strip, under each edit row, its edit region: the source with what the edit kept dimmed (--region auto).")
    var showRegion = false

    func validate() throws {
        if prompt.isEmpty { throw ValidationError("give at least one --prompt \"what the clip should show\".") }
        if prompt.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("a --prompt is empty; describe the edited clip.")
        }
    }

    func run() throws {
        let interrupt = InterruptFlag.install()
        Allocator.keepFreedMemory()
        let source = try sourcePrompt ?? Self.sidecarCaption(for: video) ?? model.tunedCaption() ?? ""
        let outputs = prompt.map { outputPath(for: $0) }
        for path in outputs + [strip].compactMap({ $0 }) { try AtomicOutput.checkNotInput(path, inputs: [video]) }
        let frameSelection = try selection.frameSelection(path: video)

        // Refuse what cannot fit before decoding anything (the estimate and a smaller selection in the message).
        let sd = try model.load()
        var editor = VideoEditor(model: sd)
        let settings = try videoEdit.settings(sampling)
        let planned = try frameSelection.plannedOutput(for: try VideoReader.info(video))
        try editor.memoryEstimate(frames: planned.frames, width: planned.size.width, height: planned.size.height,
                                  prompts: prompt.count, settings: settings)
            .check(frames: planned.frames, width: planned.size.width, height: planned.size.height)

        let clip = try VideoReader.read(video, selection: frameSelection)
        for warning in clip.warnings { log("warning: \(warning)") }
        log("editing \(clip.frames.count) frames at \(clip.frames[0].size) from \(video); source caption: \(source.isEmpty ? "(none)" : "\"\(source)\"")")
        let results = try editor.edit(clip.batch, sourcePrompt: source, prompts: prompt, settings: settings,
                                      progress: ProgressPrinter.handler(interrupt: interrupt))
        for note in editor.notes { log("note: \(note)") }
        for (result, path) in zip(results, outputs) {
            let images = result.frames.images
            let encoder = try VideoWriter.write(images, frameRate: clip.frameRate, to: path, inputs: [video])
            print("wrote \(path) (\(images.count) frames, \(encoder)) for \"\(result.prompt)\"")
            if gif {
                let gifPath = (path as NSString).deletingPathExtension + ".gif"
                try VideoWriter.write(images, frameRate: clip.frameRate, to: gifPath, inputs: [video])
                print("wrote \(gifPath)")
            }
        }
        if let strip {
            var rows = [clip.frames]
            for result in results {
                rows.append(result.frames.images)
                if showRegion, let mask = result.mask { rows.append(mask.overlay(on: clip.frames)) }
            }
            let sheet = ContactSheet.compose(rows: rows)
            try ImageWriter.writePNG(sheet, to: strip, inputs: [video])
            let regions = showRegion && results.contains { $0.mask != nil } ? ", each with its edit region below" : ""
            print("wrote \(strip) (source row + \(results.count) edit row(s)\(regions))")
        } else if showRegion {
            log("note: --show-region draws into the --strip; give --strip PATH")
        }
    }

    /// `--out`, or `NAME.edit-SLUG.mp4` beside the input; several prompts get one file each.
    func outputPath(for text: String) -> String {
        let slug = Self.slug(text)
        if let out {
            guard prompt.count > 1 else { return out }
            let ns = out as NSString
            return ns.deletingPathExtension + "-\(slug)." + (ns.pathExtension.isEmpty ? "mp4" : ns.pathExtension)
        }
        let base = (video as NSString).deletingPathExtension
        return "\(base).edit-\(slug).mp4"
    }

    /// Lower-case words joined by dashes, at most 48 characters.
    static func slug(_ text: String) -> String {
        let words = text.lowercased().split { !($0.isLetter || $0.isNumber) }
        var s = words.joined(separator: "-")
        if s.count > 48 { s = String(s.prefix(48)).trimmingCharacters(in: CharacterSet(charactersIn: "-")) }
        return s.isEmpty ? "edit" : s
    }

    /// The caption in `VIDEO.txt` (or `VIDEO-without-extension.txt`), if any.
    static func sidecarCaption(for video: String) throws -> String? {
        let ns = video as NSString
        for candidate in [video + ".txt", ns.deletingPathExtension + ".txt"] where FileManager.default.fileExists(atPath: candidate) {
            let text = try String(contentsOfFile: candidate, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        return nil
    }
}

/// `ctxedit generate --prompt ... --out image.png`: text-to-image (the one-frame path).
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Text to image (one frame, no source).",
        discussion: """
        Examples:
          ctxedit generate --prompt "a red circle" --out circle.png --model models/sd15
          ctxedit generate --prompt "a lighthouse" --size 512x384 --seed 7 --out l.png
        """
    )

    @Option(help: "What the picture should show.")
    var prompt: String

    @Option(help: "Output PNG.")
    var out: String

    @Option(help: "Size: 512 (square) or WxH, multiples of 8.")
    var size = "512"

    @Option(help: "Seed for the starting noise.")
    var seed: UInt64 = 0

    @OptionGroup var model: ModelOptions
    @OptionGroup var sampling: SamplingOptions

    func run() throws {
        let interrupt = InterruptFlag.install()
        guard let target = SizeTarget(parsing: size) else { throw ValidationError("--size \(size): give 512 or WxH.") }
        let (w, h): (Int, Int)
        switch target {
        case .shortSide(let n): (w, h) = (n, n)
        case .exact(let ww, let hh): (w, h) = (ww, hh)
        case .original: throw ValidationError("--size must be a number or WxH.")
        }
        Allocator.keepFreedMemory()
        var editor = VideoEditor(model: try model.load())
        let image = try editor.generate(prompt: prompt, width: w, height: h, seed: seed,
                                        settings: sampling.settings(), progress: ProgressPrinter.handler(interrupt: interrupt))
        for note in editor.notes { log("note: \(note)") }
        try ImageWriter.writePNG(image.image(0), to: out)
        print("wrote \(out) (\(w)x\(h))")
    }
}
