import Foundation
import SafeTensors
import Testing
@testable import Models
@testable import Tensors

/// Whole diffusers-layout folders (`Tests/Fixtures/pipelines`, saved by `StableDiffusionPipeline.save_pretrained`)
/// loaded through `ModelFolder`, the loader users' models go through, against diffusers' outputs.
/// SD-1.x-shaped (conv projections, int head count, quick_gelu), SD-2.x-shaped (linear projections, per-block head
/// counts, gelu, pad "!", width 48) and an fp16-only variant folder. Tolerance 1e-4 max-abs.
@Suite struct PipelineFolderTests {
    static let pipelines = ["sd1-tiny", "sd2-tiny", "sd1-tiny-fp16"]

    func reference(_ pipeline: String, _ name: String) throws -> Tensor {
        try fixture("pipelines/\(pipeline)/reference.safetensors", name)
    }

    func prompts(_ pipeline: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/pipelines/\(pipeline)/reference.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return json?["prompts"] as? [String] ?? []
    }

    @Test(arguments: pipelines)
    func tokenizerAndTextEncoder(_ pipeline: String) throws {
        let folder = try ModelFolder(path: fixtures + "/pipelines/\(pipeline)")
        let tokenizer = try folder.loadTokenizer()
        let ids = try prompts(pipeline).map { tokenizer.encode($0).ids }
        let expectedIds = try reference(pipeline, "prompt_ids")
        #expect(ids.flatMap { $0 }.map(Float.init) == expectedIds.scalars)
        let encoder = try folder.loadTextEncoder()
        expectClose(encoder(ids), try reference(pipeline, "text_embeddings"), tolerance: 1e-4, "\(pipeline) text embeddings")
    }

    @Test(arguments: pipelines)
    func vae(_ pipeline: String) throws {
        let vae = try ModelFolder(path: fixtures + "/pipelines/\(pipeline)").loadVAE()
        expectClose(vae.encode(try reference(pipeline, "vae_image")).mean, try reference(pipeline, "vae_mean"), tolerance: 1e-4, "\(pipeline) VAE mean")
        expectClose(vae.decode(try reference(pipeline, "vae_latent")), try reference(pipeline, "vae_decoded"), tolerance: 1e-4, "\(pipeline) VAE decode")
    }

    @Test(arguments: pipelines)
    func unet(_ pipeline: String) throws {
        let unet = try ModelFolder(path: fixtures + "/pipelines/\(pipeline)").loadUNet()
        let out = unet(try reference(pipeline, "unet_sample"), timesteps: try reference(pipeline, "unet_timesteps").scalars,
                       context: try reference(pipeline, "unet_context"))
        expectClose(out, try reference(pipeline, "unet_output"), tolerance: 1e-4, "\(pipeline) UNet")
    }

    @Test func fp16VariantIsPickedWhenAlone() throws {
        let folder = try ModelFolder(path: fixtures + "/pipelines/sd1-tiny-fp16")
        #expect(try folder.weightFiles("unet", stem: "diffusion_pytorch_model").first?.hasSuffix(".fp16.safetensors") == true)
    }
}

/// Loading errors name the file and key and both shapes.
@Suite struct LoaderErrorTests {
    func copyOfUNet() throws -> String {
        let dir = NSTemporaryDirectory() + "/ctxedit-unet-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/unet", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixtures + "/unet/config.json", toPath: dir + "/unet/config.json")
        return dir
    }

    func rewriteWeights(_ dir: String, _ edit: (inout [String: Tensor]) -> Void) throws {
        let source = try SafeTensorsFile(path: fixtures + "/unet/diffusion_pytorch_model.safetensors")
        var tensors: [String: Tensor] = [:]
        for name in source.names { tensors[name] = Tensor(shape: try source.entry(name).shape, scalars: try source.floats(name)) }
        edit(&tensors)
        try SafeTensorsWriter.write(tensors.mapValues { ($0.shape, $0.scalars) }, to: dir + "/unet/diffusion_pytorch_model.safetensors")
    }

    @Test func missingKey() throws {
        let dir = try copyOfUNet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try rewriteWeights(dir) { $0["conv_in.weight"] = nil }
        let error = #expect(throws: ModelError.self) { try ModelFolder(path: dir).loadUNet() }
        guard case .missingKey(let file, let key, let shape)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(file.hasSuffix("unet/diffusion_pytorch_model.safetensors") && key == "conv_in.weight" && shape == [32, 4, 3, 3])
    }

    @Test func shapeMismatchNamesBothShapes() throws {
        let dir = try copyOfUNet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try rewriteWeights(dir) { $0["conv_out.bias"] = Tensor(shape: [5]) }
        let error = #expect(throws: ModelError.self) { try ModelFolder(path: dir).loadUNet() }
        #expect(error == .shapeMismatch(file: dir + "/unet/diffusion_pytorch_model.safetensors", key: "conv_out.bias", expected: [4], found: [5]))
        #expect(error?.description.contains("[5]") == true && error?.description.contains("[4]") == true)
    }

    @Test func unexpectedKey() throws {
        let dir = try copyOfUNet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try rewriteWeights(dir) { $0["extra.layer.weight"] = Tensor(shape: [2]) }
        let error = #expect(throws: ModelError.self) { try ModelFolder(path: dir).loadUNet() }
        #expect(error?.description.contains("extra.layer.weight") == true)
    }

    @Test func badConfigNamesFileAndKey() throws {
        let dir = try copyOfUNet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(#"{"block_out_channels": "wide"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/unet/config.json"))
        let error = #expect(throws: ModelError.self) { try ModelFolder(path: dir).loadUNet() }
        #expect(error?.description.contains("unet/config.json") == true && error?.description.contains("block_out_channels") == true)
        try Data(#"{"act_fn": "mish"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/unet/config.json"))
        let unsupported = #expect(throws: ModelError.self) { try ModelFolder(path: dir).loadUNet() }
        #expect(unsupported?.description.contains("act_fn") == true)
        // Additional embeddings: "text" is read; the others (SDXL's "text_time", ...) and a text pooling whose
        // heads do not divide the context width are named.
        try Data(#"{"addition_embed_type": "text_time"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/unet/config.json"))
        let addition = #expect(throws: ModelError.self) { try ModelFolder(path: dir).loadUNet() }
        #expect(addition?.description.contains("addition_embed_type") == true && addition?.description.contains("text_time") == true)
        try Data(#"{"addition_embed_type": "text", "cross_attention_dim": 32, "addition_embed_type_num_heads": 5}"#.utf8)
            .write(to: URL(fileURLWithPath: dir + "/unet/config.json"))
        let heads = #expect(throws: ModelError.self) { try ModelFolder(path: dir).loadUNet() }
        #expect(heads?.description.contains("addition_embed_type_num_heads") == true, "\(String(describing: heads))")
    }

    @Test func missingWeightsAndPickles() throws {
        let dir = try copyOfUNet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(FileManager.default.createFile(atPath: dir + "/unet/diffusion_pytorch_model.bin", contents: Data([0])))
        let error = #expect(throws: ModelError.self) { try ModelFolder(path: dir).loadUNet() }
        #expect(error?.description.contains("safetensors") == true)
        #expect(throws: ModelError.self) { try ModelFolder(path: dir + "/nope") }
    }
}
