import Diffusion
import Foundation
import MediaIO
import Testing
@testable import Batch

/// ContextDiff / Tune-A-Video editing configs: the reference file, interpolations, offsets, notes for unused keys.
@Suite struct ContextDiffTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: referenceJeep), "the reference configs are not on this machine"))
    func readsTheReferenceJeepConfig() throws {
        let p = try Pipeline.load(referenceJeep)
        #expect(p.shape == .contextDiff && p.name == "contextdiff-jeep")
        #expect(p.model?.hasSuffix("ckpt/stable-diffusion-v1-5") == true)
        guard case .clips(let clips) = p.input.source, let clip = clips.first else { Issue.record("expected one clip"); return }
        #expect(clip.path.hasSuffix("data/jeep"))
        #expect(clip.caption == "a silver jeep driving down a curvy road in the countryside,")
        #expect(clip.origin.line == 5)
        #expect(p.selection == FrameSelection(count: 8, stride: 1, start: .frame(0), crop: nil, size: .exact(width: 512, height: 512)))
        #expect(p.sampler.steps == 50 && p.sampler.guidance == 7.5 && p.sampler.region == .whole)
        #expect(p.edits.map(\.prompt) == [
            "a silver jeep driving down a curvy road in the countryside",
            "a Porsche car driving down a curvy road in the countryside",
            "a silver jeep driving down a curvy road in the countryside covered with snow",
        ])
        #expect(Set(p.edits.map(\.name)).count == 3)
        #expect(p.edits.allSatisfy { $0.seed == 12734 })
        #expect(p.output.folder == "out/contextdiff-jeep")
        // One note lists every unused key with its line; nothing about the keys it uses.
        #expect(p.notes.count == 1)
        let note = p.notes[0]
        for key in ["train_steps (line 50)", "learning_rate", "model_config", "dataset_config.stride",
                    "editing_config.clip_length", "enable_xformers"] {
            #expect(note.contains(key), "\(key) missing from: \(note)")
        }
        for used in ["n_sample_frame", "guidance_scale", "editing_prompts", "sample_seeds", "offset", "strength"] { #expect(!note.contains(used)) }
        #expect(p.sampler.strength == 0.99)
    }

    @Test func offsetsInterpolationsAndSizes() throws {
        let text = """
        pretrained_model_path: models/tiny
        dataset_config:
          path: clips/dog.mp4
          prompt: a gray dog
          n_sample_frame: 3
          sampling_rate: 2
          start_sample_frame: 4
          width: 32
          height: 16
          offset: {left: 2, right: 4, top: 0, bottom: 6}
        editing_config:
          editing_prompts: [a gray dog, a golden retriever]
          guidance_scale: 6
          num_inference_steps: "${.steps_alias}"
          steps_alias: 12
          clip_length: "${..dataset_config.n_sample_frame}"
          sample_seeds: [1, 2]
        """
        let p = try Pipeline.parse(text, file: "/tmp/cfg/dog.yaml")
        #expect(p.selection == FrameSelection(count: 3, stride: 2, start: .frame(4), crop: .margins(left: 2, top: 0, right: 4, bottom: 6),
                                              size: .exact(width: 32, height: 16)))
        #expect(p.sampler.steps == 12 && p.sampler.guidance == 6)
        #expect(p.edits.map(\.seed) == [1, 1])
        #expect(p.notes.contains { $0.contains("sample_seeds lists 2 seeds") })
        #expect(p.notes.first?.contains("editing_config.steps_alias") == true)
    }

    @Test func interpolationThatNamesNothingIsAnError() throws {
        let text = "dataset_config: {path: a.mp4, n_sample_frame: '${..nowhere.n}'}\nediting_config: {editing_prompts: [x]}\n"
        let error = #expect(throws: PipelineError.self) { try Pipeline.parse(text, file: "c.yaml") }
        #expect(error?.key == "dataset_config.n_sample_frame")
        #expect(error?.description.contains("${..nowhere.n}") == true)
    }

    @Test func missingPromptsAreAnErrorWithTheLine() throws {
        let error = #expect(throws: PipelineError.self) {
            try Pipeline.parse("pretrained_model_path: m\ndataset_config:\n  path: a.mp4\nediting_config:\n  guidance_scale: 7\n", file: "c.yaml")
        }
        #expect(error?.key == "editing_config.editing_prompts" && error?.line == 5)
    }
}
