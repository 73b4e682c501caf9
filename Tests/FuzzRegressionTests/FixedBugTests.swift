@testable import Batch
import Diffusion
import Foundation
import MediaIO
import Models
import SafeTensors
import Tensors
import Testing

/// The bugs fuzzing found outside the harness, each checked through the public API that had it (the minimized
/// inputs also sit in Fuzz/regressions/ and are replayed by ``FuzzRegressionTests``).
@Suite struct FixedBugTests {
    static let fixtures = FuzzRegressionTests.root + "/Tests/Fixtures"

    /// A config.json in a fresh temporary file.
    static func config(_ json: String) throws -> String {
        let path = NSTemporaryDirectory() + "ctxedit-fuzzreg-\(UUID().uuidString).json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func refusal<C: Decodable>(_ type: C.Type, _ json: String) throws -> String {
        let path = try config(json)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try loadConfig(C.self, from: path)
            return "accepted"
        } catch let error as ModelError {
            #expect(error.description.contains(path), "\(error)")
            return error.description
        }
    }

    /// Fuzz/regressions/config/steps-1000-offset-1.json, pipeline/steps-1000.yaml: Stable Diffusion 1.5's scheduler
    /// (steps_offset 1) with 1000 steps indexed ᾱ[1000] (index out of range) in the DDIM inversion; now refused
    /// with the largest step count that fits.
    @Test func stepsPastTheScheduleAreRefused() throws {
        let sd15 = SchedulerConfig.stableDiffusion15
        #expect(throws: Never.self) { try sd15.checkSteps(999) }
        let error = #expect(throws: EditError.self) { try sd15.checkSteps(1000) }
        #expect(error?.description.contains("use at most 999 steps") == true, "\(String(describing: error))")
        var small = SchedulerConfig()
        small.trainTimesteps = 10
        #expect(throws: EditError.self) { try small.checkSteps(50) }
        #expect(throws: EditError.self) { try small.checkSteps(0) }

        // Through the editor: the check runs before any model work.
        let model = try StableDiffusion.load(Self.fixtures + "/pipelines/sd1-tiny")
        var editor = VideoEditor(model: model)
        var settings = EditSettings()
        settings.steps = 1000
        settings.cacheFolder = nil
        #expect(throws: EditError.self) {
            _ = try editor.generate(prompt: "a red circle", width: 16, height: 16, seed: 0, settings: settings)
        }
    }

    /// Fuzz/regressions/config/negative-train-timesteps.json and huge-steps-offset.json: a negative
    /// num_train_timesteps crashed building the noise schedule; a steps_offset near Int.max overflowed the timesteps.
    @Test func schedulerSizesAreChecked() throws {
        #expect(try Self.refusal(SchedulerConfig.self, #"{"num_train_timesteps": -3}"#).contains("num_train_timesteps"))
        #expect(try Self.refusal(SchedulerConfig.self, #"{"num_train_timesteps": 0}"#).contains("num_train_timesteps"))
        #expect(try Self.refusal(SchedulerConfig.self, #"{"num_train_timesteps": 10, "steps_offset": 9223372036854775807}"#)
            .contains("steps_offset"))
        #expect(try Self.refusal(SchedulerConfig.self, #"{"steps_offset": -1}"#).contains("steps_offset"))
        #expect(try Self.refusal(SchedulerConfig.self, #"{"steps_offset": 1}"#) == "accepted")
    }

    /// Fuzz/regressions/config/vae-default-groups-32.json: a VAE config without norm_num_groups (default 32) for
    /// 16-channel blocks loaded, then crashed in group norm; empty-block-out-channels.json crashed building the VAE.
    @Test func channelSplitsAreChecked() throws {
        #expect(try Self.refusal(AutoencoderConfig.self, #"{"block_out_channels": [16, 32]}"#).contains("norm_num_groups"))
        #expect(try Self.refusal(AutoencoderConfig.self, #"{"block_out_channels": []}"#).contains("block_out_channels"))
        #expect(try Self.refusal(AutoencoderConfig.self, #"{"block_out_channels": [16], "norm_num_groups": 0}"#).contains("norm_num_groups"))
        #expect(try Self.refusal(AutoencoderConfig.self, #"{"block_out_channels": [16], "norm_num_groups": 8, "layers_per_block": -1}"#)
            .contains("layers_per_block"))
        let unet = #"{"block_out_channels": [16, 32], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "norm_num_groups": 8, "attention_head_dim": 3}"#
        #expect(try Self.refusal(UNetConfig.self, unet).contains("num_attention_heads"))
        #expect(try Self.refusal(UNetConfig.self, unet.replacingOccurrences(of: "\"attention_head_dim\": 3", with: "\"transformer_layers_per_block\": -2"))
            .contains("transformer_layers_per_block"))
        #expect(try Self.refusal(CLIPTextConfig.self, #"{"hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": -1}"#)
            .contains("num_hidden_layers"))
        #expect(try Self.refusal(AdapterConfig.self, #"{"layers": -1}"#).contains("layers"))
        // The fixtures still load.
        for name in ["unet", "vae"] {
            let path = Self.fixtures + "/pipelines/sd1-tiny/\(name)/config.json"
            #expect(throws: Never.self) {
                if name == "unet" { _ = try loadConfig(UNetConfig.self, from: path) } else { _ = try loadConfig(AutoencoderConfig.self, from: path) }
            }
        }
    }
}

extension FixedBugTests {
    /// Fuzz/regressions/safetensors/shape-overflow-before-zero.safetensors: shape [2³², 2³², 0] has no element, so
    /// the header check skipped the overflow test; the model loader's `Tensor(shape:scalars:)` then overflowed
    /// computing the product. Refused on open now, as the reference implementation does.
    @Test func shapeProductsOverflowingBeforeAZeroAreRefused() throws {
        let path = FuzzRegressionTests.root + "/Fuzz/regressions/safetensors/shape-overflow-before-zero.safetensors"
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(path: path) }
        guard case .invalidShape? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.description.contains(path) == true)
    }
}

extension FixedBugTests {
    /// Fuzz/regressions/video/vp9-size-change.webm.bin: a 293-byte WebM whose VP9 frames change size (32x280, then
    /// 32x24). The reader returned frames of different sizes and `Clip.batch` stopped on its precondition. Later
    /// frames are now brought to the first frame's size, with a warning.
    @Test func picturesChangingSizeMidStreamGiveOneSize() throws {
        let source = FuzzRegressionTests.root + "/Fuzz/regressions/video/vp9-size-change.webm.bin"
        let path = NSTemporaryDirectory() + "ctxedit-fuzzreg-\(UUID().uuidString).webm"
        try FileManager.default.copyItem(atPath: source, toPath: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for size in [SizeTarget.shortSide(32), .original, .exact(width: 24, height: 16)] {
            let clip = try VideoReader.read(path, selection: FrameSelection(count: 4, size: size))
            #expect(clip.frames.count > 1)
            #expect(Set(clip.frames.map(\.size)).count == 1, "\(size): \(clip.frames.map(\.size))")
            #expect(clip.batch.frameCount == clip.frames.count)
            if size == .shortSide(32) { #expect(clip.warnings.contains { $0.contains("picture size changes") }, "\(clip.warnings)") }
        }
    }
}

extension FixedBugTests {
    /// Found by Fuzz/soak.sh: an output folder that cannot be created (a file in the way, a read-only disk) failed the
    /// job or the run with Foundation's raw NSError text; it is now a `MediaError.writeFailed` naming the folder.
    @Test func unwritableOutputFoldersAreNamed() throws {
        let base = NSTemporaryDirectory() + "ctxedit-fuzzreg-\(UUID().uuidString)"
        try Data().write(to: URL(fileURLWithPath: base))
        defer { try? FileManager.default.removeItem(atPath: base) }
        let folder = base + "/out/clip"
        let error = #expect(throws: MediaError.self) { try BatchRunner.createFolder(folder) }
        guard case .writeFailed(let path, let reason)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == folder && reason.contains("is a file, not a folder"), "\(reason)")
    }
}

extension FixedBugTests {
    /// Found by Fuzz/soak.sh on a full disk: a writer's failure named the hidden temporary file
    /// (`out/clip/.edit.partial-PID-N.mp4: could not write (No space left on device)`) instead of the output.
    @Test func writeFailuresNameTheOutputNotItsTemporaryFile() throws {
        let folder = NSTemporaryDirectory() + "ctxedit-fuzzreg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let target = folder + "/edit.mp4"
        let error = #expect(throws: MediaError.self) {
            try AtomicOutput.write(to: target) { temp in throw MediaError.writeFailed(path: temp, reason: "No space left on device") }
        }
        #expect(error == .writeFailed(path: target, reason: "No space left on device"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "the temporary file is removed")
    }
}

extension FixedBugTests {
    /// Found by ThreadSanitizer (`make test-sanitize`): `Array(unsafeUninitializedCapacity: 0)` writes the count of
    /// the shared empty-array storage, so empty tensors made on several threads at once (the safetensors fuzz test
    /// beside a model forward) raced on it. Empty results no longer go through it. Meaningful under TSan; plain runs
    /// check the values.
    @Test func emptyTensorsOnManyThreads() throws {
        let file = try SafeTensorsFile(path: FuzzRegressionTests.root + "/Fuzz/corpus/safetensors/every-dtype.safetensors")
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let values = (try? file.floats("none")) ?? [1]
            var tensor = Tensor(shape: [0, i + 1]) { _ in }
            tensor.scalars.withUnsafeMutableBufferPointer { _ in }
            precondition(values.isEmpty && tensor.count == 0)
        }
    }
}

extension FixedBugTests {
    /// Found by running fuzzed pipelines through `ctxedit run` (Fuzz/regressions/pipeline/window-radius-int-max.yaml):
    /// `frame_attention: window:9223372036854775807` parses (any radius ≥ 0), then `f + r` overflowed in
    /// `FrameAttention.sourceFrames` at the first denoising step. A radius past the clip now reads every frame.
    @Test func hugeWindowRadiiReadEveryFrame() {
        for count in [1, 2, 5] {
            for f in 0..<count {
                #expect(FrameAttention.sourceFrames(f, count: count, sources: .window(radius: .max)) == Array(0..<count))
                #expect(FrameAttention.sourceFrames(f, count: count, sources: .window(radius: .max))
                        == FrameAttention.sourceFrames(f, count: count, sources: .all))
            }
        }
        #expect(FrameAttention.sourceFrames(3, count: 8, sources: .window(radius: 1)) == [2, 3, 4])
    }
}

extension FixedBugTests {
    /// Found by running fuzzed configs through `ctxedit generate`: a tokenizer whose `model_max_length` (100) exceeds
    /// the text encoder's `max_position_embeddings` (77), or whose ids exceed its `vocab_size`, loaded, then encoding
    /// the prompt stopped on a tensor precondition (or indexed past the token embedding). Refused on load now.
    @Test func tokenizerMustFitTheTextEncoder() throws {
        let folder = NSTemporaryDirectory() + "ctxedit-fuzzreg-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Self.fixtures + "/pipelines/sd1-tiny", toPath: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: Never.self) { _ = try ModelFolder(path: folder).loadTokenizer() }

        let settings = folder + "/tokenizer/tokenizer_config.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: settings))
        var json = try JSONSerialization.jsonObject(with: original) as? [String: Any] ?? [:]
        json["model_max_length"] = 100
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: settings))
        let long = #expect(throws: ModelError.self) { try ModelFolder(path: folder).loadTokenizer() }
        #expect(long?.description.contains("max_position_embeddings 77") == true, "\(String(describing: long))")
        #expect(throws: ModelError.self) { try StableDiffusion.load(folder) }
        try original.write(to: URL(fileURLWithPath: settings))

        let encoder = folder + "/text_encoder/config.json"
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: encoder))) as? [String: Any] ?? [:]
        config["vocab_size"] = 100
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: encoder))
        let ids = #expect(throws: ModelError.self) { try ModelFolder(path: folder).loadTokenizer() }
        #expect(ids?.description.contains("vocab_size 100") == true, "\(String(describing: ids))")
    }
}
