import Diffusion
import Foundation
import MediaIO
import Models
import Scenes

/// The edit-quality benchmark (`ctxedit eval`): held-out scenes × edits, each edited by a model and scored against
/// the renderer's ground truth with `EditScoring`, under several editor variants (the ablation rows).
///
/// Scenes come from `SceneSampler(seed: seedBase + i)`; the default model's training draws its scene seeds as
/// 64-bit random numbers, so these small seeds are held out.
public enum EditBenchmark {
    public enum EditKind: String, Codable, CaseIterable, Sendable {
        case color, shape, background, colorAndShape = "color+shape"
    }

    public struct Case: Sendable {
        public var scene: Int
        public var kind: EditKind
        public var source: Scene
        public var target: Scene
    }

    /// One ablation row: how the editor runs. `nil` settings: the unedited source scored as if it were the edit
    /// (the floor every variant should beat on alignment). With `tuning`, each scene is edited by the model tuned on
    /// that scene's source clip (`EditBenchmark+Tuning.swift`) instead of the model given to `run`.
    public struct Variant: Sendable {
        public var name: String
        public var settings: EditSettings?
        public var tuning: Tuning?

        public init(name: String, settings: EditSettings?, tuning: Tuning? = nil) {
            self.name = name
            self.settings = settings
            self.tuning = tuning
        }
    }

    public struct Options: Sendable {
        public var scenes = 8
        public var seedBase: UInt64 = 1_000_000
        public var frames = 8
        public var size = 64
        public var steps = 20
        public var guidance: Float = 5
        public var kinds = EditKind.allCases

        public init() {}
    }

    /// Four edits of each held-out scene. New colours avoid the background's; a new plain background avoids the
    /// object's (old and new) colour, so every edit stays visible.
    public static func cases(_ o: Options) -> [Case] {
        (0..<o.scenes).flatMap { i -> [Case] in
            var sampler = SceneSampler(seed: o.seedBase + UInt64(i))
            let scene = sampler.next()
            var pick = SplitMix64(seed: o.seedBase &+ 7_919 &* UInt64(i + 1))
            let taken = Set(scene.background.colors + [scene.color])
            let colors = NamedColor.allCases.filter { !taken.contains($0) }
            let color = colors[Int(pick.next() % UInt64(colors.count))]
            let shapes = Shape.allCases.filter { $0 != scene.shape }
            let shape = shapes[Int(pick.next() % UInt64(shapes.count))]
            let plains = NamedColor.allCases.filter { $0 != scene.color && !scene.background.colors.contains($0) }
            let plain = plains[Int(pick.next() % UInt64(plains.count))]
            let all: [EditKind: Scene] = [.color: scene.with(color: color), .shape: scene.with(shape: shape),
                                          .background: scene.with(background: .plain(plain)),
                                          .colorAndShape: scene.with(color: color).with(shape: shape)]
            return o.kinds.map { Case(scene: i, kind: $0, source: scene, target: all[$0]!) }
        }
    }

    /// Editor variants: adapter on/off × sparse-causal/per-frame attention (per-frame = a window of radius 0), each
    /// editing `region` (default: only where the captions disagree), one editing the whole frame, plus the unedited
    /// source; with `tuning` (and at least one tuning step), also the tuned model with adapter and sparse-causal
    /// attention (tuning trains a fresh adapter when the model has none). `negativePrompt`: guidance's
    /// unconditional prompt (`EditSettings.negativePrompt`); `regionNoise`: `EditSettings.regionNoise`.
    public static func variants(steps: Int, guidance: Float, hasAdapter: Bool, tuning: Tuning? = nil,
                                region: EditRegion = EditSettings().region, strength: Double = 1,
                                negativePrompt: String = "", regionNoise: Double = 0) -> [Variant] {
        func settings(adapter: Bool, frames: FrameAttention.Sources, region: EditRegion = region) -> EditSettings {
            var s = EditSettings()
            s.region = region
            s.strength = strength
            s.regionNoise = regionNoise
            s.steps = steps
            s.guidance = guidance
            s.negativePrompt = negativePrompt
            s.useAdapter = adapter
            s.frameSources = frames
            s.cacheFolder = nil
            return s
        }
        var out = [Variant(name: "no edit (source)", settings: nil)]
        if hasAdapter { out.append(Variant(name: "adapter, sparse-causal", settings: settings(adapter: true, frames: .sparseCausal))) }
        out.append(Variant(name: "no adapter, sparse-causal", settings: settings(adapter: false, frames: .sparseCausal)))
        if hasAdapter { out.append(Variant(name: "adapter, per-frame", settings: settings(adapter: true, frames: .window(radius: 0)))) }
        out.append(Variant(name: "\(hasAdapter ? "adapter" : "no adapter"), sparse-causal, whole frame",
                           settings: settings(adapter: hasAdapter, frames: .sparseCausal, region: .whole)))
        if let tuning, tuning.steps > 0 {
            out.append(Variant(name: tuning.variantName, settings: settings(adapter: true, frames: .sparseCausal), tuning: tuning))
        }
        return out
    }

    /// The score of one case under one variant.
    public struct Result: Codable, Sendable {
        public var variant: String
        public var scene: Int
        public var kind: EditKind
        public var prompt: String
        public var score: EditScore
        /// Whether the requested attribute(s) are shown: colour, shape, background accuracy, or the mean of colour
        /// and shape for two-attribute edits.
        public var aligned: Double
    }

    /// Runs every case under every variant. Cases of one scene share their inversion (one `edit` call per scene
    /// and variant; a tuned variant tunes once per scene, on the source clip under the source caption, first).
    /// `progress` gets a line per scene and variant (and one per tuning).
    public static func run(model: StableDiffusion, cases: [Case], variants: [Variant], options o: Options,
                           progress: (String) -> Void = { _ in }) throws -> [Result] {
        try checkTuning(variants, cases: cases, options: o)
        let size = Size(width: o.size, height: o.size)
        var results: [Result] = []
        let byScene = Dictionary(grouping: cases, by: \.scene).sorted { $0.key < $1.key }
        for variant in variants {
            for (scene, group) in byScene {
                let source = group[0].source
                let clip = SceneRenderer.render(source, size: size, frames: o.frames)
                let edited: [[RGBImage]]
                if let settings = variant.settings {
                    var editModel = model
                    if let tuning = variant.tuning {
                        let start = Date()
                        let tuned = try tune(frames: clip.frames, caption: source.caption, tuning)
                        editModel = tuned.model
                        progress("\(variant.name): scene \(scene) tuned in " + String(format: "%.1f s (smoothed loss %.4f)",
                                                                                       Date().timeIntervalSince(start), tuned.loss))
                    }
                    var editor = VideoEditor(model: editModel)
                    let start = Date()
                    let out = try editor.edit(FrameBatch(images: clip.frames, frameRate: 8), sourcePrompt: source.caption,
                                              prompts: group.map(\.target.caption), settings: settings)
                    edited = out.map(\.frames.images)
                    progress("\(variant.name): scene \(scene) (\(group.count) edits) in " + String(format: "%.1f s", Date().timeIntervalSince(start)))
                } else {
                    edited = group.map { _ in clip.frames }
                }
                for (c, frames) in zip(group, edited) {
                    let score = EditScoring.score(edited: frames, source: c.source, target: c.target, size: size)
                    results.append(Result(variant: variant.name, scene: scene, kind: c.kind, prompt: c.target.caption,
                                          score: score, aligned: aligned(score, c.kind)))
                }
            }
        }
        return results
    }

    static func aligned(_ s: EditScore, _ kind: EditKind) -> Double {
        switch kind {
        case .color: s.colorAccuracy
        case .shape: s.shapeAccuracy
        case .background: s.backgroundAccuracy
        case .colorAndShape: (s.colorAccuracy + s.shapeAccuracy) / 2
        }
    }
}
