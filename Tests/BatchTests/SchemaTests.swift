import Diffusion
import Foundation
import MediaIO
import Testing
@testable import Batch

/// ctxedit's pipeline schema: a full file, defaults, and each error with its file, line and key.
@Suite struct SchemaTests {
    static let full = """
    version: 1
    model: ../models/sd15
    input:
      clips:
        - clips/a.mp4
        - path: clips/b.mov
          caption: a red car
      caption: a default caption
    frames:
      count: 4
      stride: 2
      start: 1.5s
      crop: {left: 8, right: 8}
      size: 256x128
    sampler:
      steps: 20
      guidance: 9
      negative_prompt: blurry
      adapter: off
      frame_attention: window:2
      region: auto:0.2
      strength: 0.6
      region_noise: 0.3
      cache: false
    edits:
      - a porsche on a road
      - prompt: a jeep in the snow
        name: snow
        seed: 12734
        guidance: 5.5
        negative_prompt: people
    output:
      folder: ../out/demo
      formats: [mp4, gif]
      strip: false
    """

    @Test func parsesEverySection() throws {
        let p = try Pipeline.parse(Self.full, file: "pipes/demo.yaml")
        #expect(p.shape == .ctxedit && p.name == "demo")
        #expect(p.model == "models/sd15")
        guard case .clips(let clips) = p.input.source else { Issue.record("expected a list of clips"); return }
        #expect(clips.map(\.path) == ["pipes/clips/a.mp4", "pipes/clips/b.mov"])
        #expect(clips.map(\.caption) == [nil, "a red car"])
        #expect(clips[1].origin.line == 6)
        #expect(p.input.caption == .text("a default caption"))
        #expect(p.selection == FrameSelection(count: 4, stride: 2, start: .seconds(1.5),
                                              crop: .margins(left: 8, top: 0, right: 8, bottom: 0), size: .exact(width: 256, height: 128)))
        #expect(p.sampler.steps == 20 && p.sampler.guidance == 9 && p.sampler.negativePrompt == "blurry")
        #expect(!p.sampler.adapter && p.sampler.frameAttention == .window(radius: 2) && p.sampler.cache == .off)
        #expect(p.edits.map(\.name) == ["a-porsche-on-a-road", "snow"])
        #expect(p.edits[1].seed == 12734 && p.edits[1].guidance == 5.5 && p.edits[1].negativePrompt == "people")
        #expect(p.edits[0].guidance == nil && p.edits[0].origin.line == 26)
        #expect(p.output == OutputSpec(folder: "out/demo", formats: [.mp4, .gif], strip: false, gallery: true))
        let settings = p.editSettings(for: p.edits[1], cacheFolder: nil)
        #expect(settings.guidance == 5.5 && settings.negativePrompt == "people" && settings.steps == 20)
        #expect(p.sampler.region == .auto(threshold: 0.2) && settings.region == .auto(threshold: 0.2))
        #expect(p.sampler.strength == 0.6 && settings.strength == 0.6)
        #expect(p.sampler.regionNoise == 0.3 && settings.regionNoise == 0.3)
    }

    @Test func defaultsForAMinimalFile() throws {
        let p = try Pipeline.parse("input: {folder: clips}\nedits: [a blue square]\n", file: "min.yaml")
        #expect(p.model == nil)
        #expect(p.input.source == .folder("clips") && p.input.caption == .sidecar)
        #expect(p.selection == FrameSelection(count: 8, size: .shortSide(512)))
        #expect(p.sampler == SamplerSpec())
        #expect(p.output == OutputSpec(folder: "out/min"))
        #expect(p.edits.map(\.name) == ["a-blue-square"])
    }

    @Test func anchorsFromExtensionBlocks() throws {
        let p = try Pipeline.parse("x-small: &s {count: 3, size: 32}\ninput: {folder: c}\nframes: *s\nedits: [&p a cat, *p]\n", file: "a.yaml")
        #expect(p.selection.count == 3 && p.selection.size == .shortSide(32))
        #expect(p.edits.map(\.name) == ["a-cat", "a-cat-2"])
    }

    @Test func editNamesFromPromptsAreMadeUnique() throws {
        let p = try Pipeline.parse("input: {glob: '*.mp4'}\nedits: [A red car!, a red car, {prompt: x, name: a-red-car-3}]\n", file: "n.yaml")
        #expect(p.edits.map(\.name) == ["a-red-car", "a-red-car-2", "a-red-car-3"])
    }

    /// (file text, line, key, words the message must contain)
    static let errors: [(String, Int, String, String)] = [
        ("input: {folder: x}\nedits: [a]\nframes:\n  cout: 4\n", 4, "frames.cout", "Did you mean \"count\""),
        ("input: {folder: x}\nedits: [a]\nsampelr: {}\n", 3, "sampelr", "Did you mean \"sampler\""),
        ("input: {folder: x}\nedits: [a]\nsampler:\n  steps: fifty\n", 4, "sampler.steps", "expected a whole number"),
        ("input: {folder: x}\nedits: [a]\nsampler:\n  steps: 0\n", 4, "sampler.steps", "1 to 1000"),
        ("input: {folder: x}\nedits: [a]\nsampler:\n  guidance: [1, 2]\n", 4, "sampler.guidance", "expected a number"),
        ("input: {folder: x}\nedits: [a]\nsampler:\n  adapter: maybe\n", 4, "sampler.adapter", "true or false"),
        ("input: {folder: x}\nedits: [a]\nsampler:\n  region: auto:2\n", 4, "sampler.region", "auto:T with 0 < T < 1, or whole"),
        ("input: {folder: x}\nedits: [a]\nsampler:\n  strength: 0\n", 4, "sampler.strength", "in (0, 1]"),
        ("input: {folder: x}\nedits: [a]\nsampler:\n  region_noise: 1.5\n", 4, "sampler.region_noise", "in [0, 1]"),
        ("input: {folder: x}\nedits: [a]\nsampler:\n  region: whole\n  region_noise: 0.5\n", 5, "sampler.region_noise", "region: auto"),
        ("input: {folder: x}\nedits: [a]\nframes:\n  size: big\n", 4, "frames.size", "short side"),
        ("input: {folder: x}\nedits: [a]\nframes:\n  start: -3\n", 4, "frames.start", "frame index"),
        ("input: {folder: x}\nedits: [a]\noutput:\n  formats: [mp4, avi]\n", 4, "output.formats[1]", "unknown format"),
        ("input: {folder: x}\n\n", 1, "edits", "missing required key \"edits\""),
        ("edits: [a]\n", 1, "input", "missing required key \"input\""),
        ("input: {folder: x}\nedits:\n  - name: a\n    seed: 3\n", 3, "edits[0].prompt", "missing required key \"prompt\""),
        ("input: {folder: x}\nedits:\n  - prompt: a\n    colour: red\n", 4, "edits[0].colour", "unknown key"),
        ("input: {folder: x}\nedits:\n  - {prompt: a, name: x}\n  - {prompt: b, name: x}\n", 4, "edits[1]", "used twice"),
        ("input: {folder: x}\nedits:\n  - {prompt: a, name: source}\n", 3, "edits[0].name", "reserved"),
        ("input: {folder: x}\nedits:\n  - {prompt: a, name: 'a/b'}\n", 3, "edits[0].name", "not a usable file name"),
        ("input: {folder: x}\nedits: []\n", 2, "edits", "empty"),
        ("input:\n  folder: x\n  glob: '*.mp4'\nedits: [a]\n", 2, "input", "only one of folder, glob or clips"),
        ("input:\n  caption: sidecar\nedits: [a]\n", 2, "input", "give one of folder, glob or clips"),
        ("input: {folder: x}\nedits: [a]\nedits: [b]\n", 3, "edits", "twice"),
        ("input: {folder: x}\nedits: [a]\nversion: 2\n", 3, "version", "version 1"),
        ("input: [x]\nedits: [a]\n", 1, "input", "expected a mapping"),
    ]

    @Test(arguments: 0..<errors.count)
    func schemaErrorNamesFileLineAndKey(_ i: Int) throws {
        let (text, line, key, words) = Self.errors[i]
        let error = #expect(throws: PipelineError.self) { try Pipeline.parse(text, file: "Pipelines/bad.yaml") }
        #expect(error?.line == line, "\(error?.description ?? "")")
        #expect(error?.key == key, "\(error?.description ?? "")")
        let message = error?.description ?? ""
        #expect(message.hasPrefix("Pipelines/bad.yaml:\(line): \(key): "), "\(message)")
        #expect(message.contains(words), "\(message)")
    }

    @Test func yamlSyntaxErrorsNameTheLine() throws {
        let error = #expect(throws: PipelineError.self) {
            try Pipeline.parse("input: {folder: x}\nedits:\n  - a\n - b: [\n", file: "broken.yaml")
        }
        #expect(error?.kind == .unreadable)
        #expect(error?.line != nil)
        #expect(error?.description.hasPrefix("broken.yaml:") == true)
        #expect(throws: PipelineError.self) { try Pipeline.parse("", file: "empty.yaml") }
        let missing = #expect(throws: PipelineError.self) { try Pipeline.load("/nonexistent/pipeline.yaml") }
        #expect(missing?.description.contains("/nonexistent/pipeline.yaml") == true)
    }

    @Test func editDistanceForHints() {
        #expect(editDistance("count", "cout") == 1)
        #expect(editDistance("", "abc") == 3)
        #expect(editDistance("sampler", "sampler") == 0)
    }
}
