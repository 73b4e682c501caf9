// ctxedit-bench: times the model components at Stable Diffusion 1.5 dimensions with random weights built in
// process (timings do not depend on values). Prints median milliseconds, achieved GFLOP/s (GEMM FLOPs as the
// direct algorithm counts them) and peak resident memory. `make bench` runs it in release.
import Foundation
import Models
import Tensors

struct Case {
    let name: String
    let run: () -> Void
}

func peakRSSMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
    return 0
}

/// Median wall time over `runs` after one warm-up, and the FLOPs of one run.
func measure(_ c: Case, runs: Int) -> (ms: Double, flops: Int) {
    c.run()
    var times: [Double] = []
    var flops = 0
    for _ in 0..<runs {
        FLOPCounter.reset()
        let start = DispatchTime.now().uptimeNanoseconds
        c.run()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        flops = FLOPCounter.count
    }
    return (times.sorted()[times.count / 2], flops)
}

let arguments = CommandLine.arguments.dropFirst()
let quick = arguments.contains("--quick")
let runs = quick ? 1 : 3
let weights = WeightScope(CheckpointWeights.random(seed: 1))

var unetConfig = UNetConfig()  // SD 1.5: 320/640/1280/1280, 8 heads, context 768
var vaeConfig = AutoencoderConfig()
vaeConfig.blockOutChannels = [128, 256, 512, 512]
vaeConfig.layersPerBlock = 2
var clipConfig = CLIPTextConfig()
clipConfig.vocabSize = 49408
clipConfig.hiddenSize = 768
clipConfig.intermediateSize = 3072
clipConfig.numHiddenLayers = 12
clipConfig.numAttentionHeads = 12

do {
    print("building SD-1.5-sized models with random weights…")
    let unet = try UNet2DConditionModel(weights["unet"], config: unetConfig)
    let vae = try AutoencoderKL(weights["vae"], config: vaeConfig)
    let clip = try CLIPTextModel(weights["text_encoder"], config: clipConfig)
    let latentSide = quick ? 16 : 32
    let context = Tensor(shape: [2, 77, 768], repeating: 0.1)
    let cases = [
        Case(name: "text encoder 2x77 tokens") { _ = clip(Array(repeating: Array(0..<77), count: 2)) },
        Case(name: "UNet batch 2, \(latentSide)x\(latentSide) latents") {
            _ = unet(Tensor(shape: [2, 4, latentSide, latentSide], repeating: 0.1), timesteps: [500, 500], context: context)
        },
        Case(name: "VAE decode to \(latentSide * 8) px") {
            _ = vae.decode(Tensor(shape: [1, 4, latentSide, latentSide], repeating: 0.1))
        },
    ]
    print("case                                      ms    GFLOP/s")
    for c in cases {
        let (ms, flops) = measure(c, runs: runs)
        print(c.name.padding(toLength: 36, withPad: " ", startingAt: 0),
              String(format: "%10.1f %10.1f", ms, Double(flops) / ms / 1e6))
    }
    print(String(format: "peak resident memory: %.0f MB", peakRSSMegabytes()))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
