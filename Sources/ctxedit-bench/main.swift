// ctxedit-bench: times the model components at Stable Diffusion 1.5 dimensions with random weights built in
// process (timings do not depend on values). Prints median milliseconds, achieved GFLOP/s (GEMM FLOPs, which for
// im2col convolution equal the direct algorithm's count) and peak resident memory; when a PyTorch reference
// environment exists (`make bench-reference` makes .venv-bench), times the same shapes with
// scripts/bench_reference.py case by case, one PyTorch run after each of ctxedit's, and prints the ratio
// ctxedit / PyTorch.
//
// usage: ctxedit-bench [--quick] [--runs N] [--threads N] [--cases "name,name"] [--python PATH]
import Diffusion
import Foundation
import MediaIO
import Models
import Tensors

struct Case {
    let name: String
    let run: () -> Void
}

func peakRSSMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (line.split(separator: " ").compactMap { Double($0) }.first ?? 0) / 1024
    }
    return 0
}

/// Median milliseconds of `runs` runs after a warm-up, the FLOPs of one run, and the cores kept busy over the timed
/// runs: process CPU time (user + system, every thread) over wall time, 2.0 being both of two cores throughout.
/// `after` runs after the warm-up and after each timed run (outside the timing): the PyTorch reference's own run
/// of the case, so the two programs' runs alternate.
func measure(_ c: Case, runs: Int, after: () -> Void = {}) -> (ms: Double, flops: Int, busy: Double) {
    c.run()
    after()
    var times: [Double] = []
    var flops = 0
    var cpu = 0.0
    for _ in 0..<runs {
        FLOPCounter.reset()
        let cpuBefore = cpuTime().total
        let start = DispatchTime.now().uptimeNanoseconds
        c.run()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        cpu += cpuTime().total - cpuBefore
        flops = FLOPCounter.count
        after()
    }
    let busy = cpu / max(times.reduce(0, +) / 1000, 1e-9)
    return (median(times), flops, busy)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// User and system CPU seconds of this process so far (all threads).
func cpuTime() -> (user: Double, system: Double, total: Double) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return (user, system, user + system)
}

func option(_ name: String) -> String? {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

/// `scripts/bench_reference.py --serve`: diffusers/transformers on CPU PyTorch with the same shapes, built once, then
/// asked for one case at a time, so each case's two timings are taken back to back (this shared machine drifts over
/// minutes). nil when no reference environment is installed or it fails to start.
final class PyTorchReference {
    let version: String
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffer = Data()
    /// Set once its output ended (it exited or crashed): no more requests.
    private var stopped = false

    init?(quick: Bool, runs: Int, threads: Int) {
        let python = option("--python") ?? ".venv-bench/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["scripts/bench_reference.py", "--serve", "--threads", "\(threads)", "--runs", "\(runs)"]
            + (quick ? ["--quick"] : [])
        process.standardInput = input
        process.standardOutput = output
        // A reference that died must not take the benchmark with it when we write to its closed stdin.
        signal(SIGPIPE, SIG_IGN)
        do { try process.run() } catch { return nil }
        guard let ready = Self.nextObject(output, &buffer, where: { $0["torch"] != nil }), let torch = ready["torch"] as? String else {
            process.terminate()
            return nil
        }
        version = torch
    }

    /// PyTorch's milliseconds for one run of the case `name` (`once NAME`); nil if it has no such case, failed on
    /// it, or stopped.
    func once(_ name: String) -> Double? { ask("once " + name, name) }

    private func ask(_ request: String, _ name: String) -> Double? {
        guard !stopped else { return nil }
        do { try input.fileHandleForWriting.write(contentsOf: Data((request + "\n").utf8)) } catch {
            stopped = true
            return nil
        }
        guard let answer = Self.nextObject(output, &buffer, where: { $0["name"] as? String == name }) else {
            stopped = true
            return nil
        }
        if let problem = answer["error"] as? String { print("  PyTorch reference, \(name): \(problem)") }
        return answer["ms"] as? Double
    }

    func finish() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// The next newline-terminated JSON object on `pipe` that satisfies `wanted`, skipping any other output line
    /// (a library's warning printed to stdout); nil at end of output.
    private static func nextObject(_ pipe: Pipe, _ buffer: inout Data, where wanted: ([String: Any]) -> Bool) -> [String: Any]? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                if let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any], wanted(object) { return object }
                continue
            }
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }
}

if CommandLine.arguments.contains("--help") || CommandLine.arguments.contains("-h") {
    print("""
    usage: ctxedit-bench [--quick] [--runs N] [--threads N] [--cases "name,name"] [--python PATH]
                         [--conv automatic|im2col|winograd] [--attention fused|unfused] [--winograd-blocks on|off]
                         [--default-malloc]
           ctxedit-bench --edit-memory   (peak memory of an 8-frame 512x512 edit, SD-1.5 size, random weights)
    Times the model components at Stable Diffusion 1.5 size (random weights) and, when a PyTorch environment
    exists (.venv-bench, or --python), the same shapes in diffusers on PyTorch, their runs alternating with ctxedit's.
    "cores busy" is the process's CPU time over wall time during a case's timed runs (2.00: two cores throughout).
    """)
    exit(0)
}
if !CommandLine.arguments.contains("--default-malloc") { Allocator.keepFreedMemory() }
if option("--attention") == "unfused" { Attention.fusedByDefault = false }
if option("--winograd-blocks") == "off" { Tensor.winogradBlocksEnabled = false }
switch option("--conv") {
case "im2col": ConvAlgorithm.automaticChoice = .im2col
case "winograd": ConvAlgorithm.automaticChoice = .winograd
default: break
}
let quick = CommandLine.arguments.contains("--quick")
let runs = Int(option("--runs") ?? "") ?? (quick ? 1 : 3)
let threads = Int(option("--threads") ?? "") ?? ProcessInfo.processInfo.activeProcessorCount
let wanted = (option("--cases") ?? "").split(separator: ",").map(String.init)
let weights = WeightScope(CheckpointWeights.random(seed: 1))

/// Stable Diffusion 1.5's text encoder (CLIP ViT-L/14 text tower) and VAE sizes; the UNet's are `UNetConfig()`'s defaults.
func sd15Configs() -> (clip: CLIPTextConfig, vae: AutoencoderConfig) {
    var clip = CLIPTextConfig()
    clip.hiddenSize = 768
    clip.intermediateSize = 3072
    clip.numHiddenLayers = 12
    clip.numAttentionHeads = 12
    var vae = AutoencoderConfig()
    vae.blockOutChannels = [128, 256, 512, 512]
    vae.layersPerBlock = 2
    return (clip, vae)
}
let (clipConfig, vaeConfig) = sd15Configs()

/// `--edit-memory`: one whole 8-frame 512x512 edit (1 DDIM step each way, guidance 7.5) with random SD-1.5-size
/// weights, in its own process, for its peak resident memory against the fp32 weights.
func editMemory(weights: WeightScope) throws {
    var clipConfig = sd15Configs().clip
    let tokenizer = try BPEVocabularyBuilder(words: ["a", "red", "car", "blue", "on", "road"]).makeTokenizer()
    clipConfig.vocabSize = tokenizer.vocabulary.count
    let unet = try UNet2DConditionModel(weights["unet"], config: UNetConfig())
    let vae = try AutoencoderKL(weights["vae"], config: vaeConfig)
    let clip = try CLIPTextModel(weights["text_encoder"], config: clipConfig)
    let weightMB = peakRSSMegabytes()
    let model = StableDiffusion(tokenizer: tokenizer, textEncoder: clip, vae: vae, unet: unet,
                                scheduler: .stableDiffusion15, adapter: nil, identity: "random SD-1.5 size")
    let frames = FrameBatch(frameCount: 8, width: 512, height: 512, frameRate: 8,
                            values: (0..<(8 * 3 * 512 * 512)).map { Float($0 % 255) / 127.5 - 1 })
    var settings = EditSettings()
    settings.steps = 1
    settings.cacheFolder = nil
    settings.memoryLimit = Int.max
    var editor = VideoEditor(model: model)
    let start = DispatchTime.now().uptimeNanoseconds
    _ = try editor.edit(frames, sourcePrompt: "a red car", prompts: ["a blue car on a road"], settings: settings)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let peak = peakRSSMegabytes()
    print(String(format: "edit of 8 frames at 512x512 (1 step each way, guidance 7.5): %.0f s; peak resident memory %.0f MB, of which weights and runtime %.0f MB: %.2f GB above the weights",
                 seconds, peak, weightMB, (peak - weightMB) / 1024))
}

if CommandLine.arguments.contains("--edit-memory") {
    do { try editMemory(weights: weights) } catch { print("error: \(error)"); exit(1) }
    exit(0)
}

do {
    print("building SD-1.5-sized models with random weights (UNet 320/640/1280/1280, VAE 128–512, CLIP 768×12)…")
    let unet = try UNet2DConditionModel(weights["unet"], config: UNetConfig())
    let vae = try AutoencoderKL(weights["vae"], config: vaeConfig)
    let clip = try CLIPTextModel(weights["text_encoder"], config: clipConfig)
    let side = quick ? 16 : 32
    let ctx2 = Tensor(shape: [2, 77, 768], repeating: 0.1)
    var cases = [
        Case(name: "text encoder 2x77") { _ = clip(Array(repeating: Array(0..<77), count: 2)) },
        Case(name: "UNet b2 \(side)x\(side)") {
            _ = unet(Tensor(shape: [2, 4, side, side], repeating: 0.1), timesteps: [500, 500], context: ctx2)
        },
        Case(name: "VAE decode \(side * 8)px") { _ = vae.decode(Tensor(shape: [1, 4, side, side], repeating: 0.1)) },
        Case(name: "VAE encode \(side * 8)px") { _ = vae.encode(Tensor(shape: [1, 3, side * 8, side * 8], repeating: 0.1)) },
    ]
    if !quick {
        let ctx16 = Tensor(shape: [16, 77, 768], repeating: 0.1)
        cases += [
            Case(name: "UNet b2 64x64") {
                _ = unet(Tensor(shape: [2, 4, 64, 64], repeating: 0.1), timesteps: [500, 500], context: ctx2)
            },
            Case(name: "UNet 8 frames b16 32x32") {
                _ = unet(Tensor(shape: [16, 4, 32, 32], repeating: 0.1), timesteps: Array(repeating: 500, count: 16),
                         context: ctx16, frames: .frames(count: 8, sources: .sparseCausal))
            },
            Case(name: "VAE decode 512px") { _ = vae.decode(Tensor(shape: [1, 4, 64, 64], repeating: 0.1)) },
        ]
        // The UNet's largest attention on its own: self-attention at the 64x64 level (4096 tokens, 8 heads × 40).
        let tokens = Tensor(shape: [2, 4096, 320], scalars: (0..<(2 * 4096 * 320)).map { Float($0 % 97) / 97 - 0.5 })
        cases.append(Case(name: "attention b2 8x4096x40") {
            _ = Attention.scaledDotProduct(q: tokens, k: tokens, v: tokens, heads: 8)
        })
    }
    if !wanted.isEmpty { cases = cases.filter { wanted.contains($0.name) } }
    // PyTorch builds its models now, before anything of ours is timed.
    print("starting the PyTorch reference (scripts/bench_reference.py --serve)…")
    let reference = PyTorchReference(quick: quick, runs: runs, threads: threads)
    // The machine's dense peak: one 2048³ GEMM (the best case for OpenBLAS), against which each case's achieved
    // GFLOP/s (direct-algorithm FLOPs) is a percentage. Measured before and after the cases, the better one kept
    // (on this shared host a slow second during one measurement once read 108 against ~200 GFLOP/s).
    let square = Tensor(shape: [2048, 2048], repeating: 0.5)
    func sgemmPeak(_ when: String) -> Double {
        let (ms, flops, _) = measure(Case(name: "sgemm 2048³") { _ = square.matmul(square) }, runs: max(runs, 3))
        let gflops = Double(flops) / ms / 1e6
        print(String(format: "  sgemm 2048³ (peak, %@) %10.1f ms %8.1f GFLOP/s", when as NSString, ms, gflops))
        return gflops
    }
    let peakBefore = sgemmPeak("before")
    var ours: [(String, Double, Double, Double, Double?)] = []
    for c in cases {
        // Alternating: our warm-up, PyTorch's, then our run 1, PyTorch's run 1, ... (its first answer is its
        // warm-up, not timed).
        var torchRuns: [Double] = []
        var torchFailed = false
        let (ms, flops, busy) = measure(c, runs: runs) {
            guard let reference, !torchFailed else { return }
            if let t = reference.once(c.name) { torchRuns.append(t) } else { torchFailed = true }
        }
        let torch = torchFailed || torchRuns.count < 2 ? nil : median(Array(torchRuns.dropFirst()))
        ours.append((c.name, ms, Double(flops) / ms / 1e6, busy, torch))
        print(String(format: "  %-26@ %10.1f ms %8.1f GFLOP/s  %.2f cores busy   PyTorch %@ ms", c.name as NSString, ms,
                     Double(flops) / ms / 1e6, busy, (torch.map { String(format: "%.1f", $0) } ?? "–") as NSString))
    }
    reference?.finish()
    let peakAfter = sgemmPeak("after")
    let peak = max(peakBefore, peakAfter)
    let peakMemory = peakRSSMegabytes()
    let (userSeconds, systemSeconds, _) = cpuTime()
    print("")
    print("| case | ctxedit ms | GFLOP/s | % of sgemm peak | cores busy | PyTorch ms | ctxedit / PyTorch |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (name, ms, gflops, busy, torch) in ours {
        print(String(format: "| %@ | %.1f | %.1f | %.0f%% | %.2f | %@ | %@ |", name as NSString, ms, gflops, 100 * gflops / peak, busy,
                     (torch.map { String(format: "%.1f", $0) } ?? "–") as NSString,
                     (torch.map { String(format: "%.2f", ms / $0) } ?? "–") as NSString))
    }
    print(String(format: "\nmedian of %d run(s) after a warm-up, %d threads%@; ctxedit peak resident memory %.0f MB, CPU %.1f s user + %.1f s system",
                 runs, threads, (reference == nil ? "" : ", ctxedit's and PyTorch's runs alternating") as NSString,
                 peakMemory, userSeconds, systemSeconds))
    print(String(format: "sgemm peak (2048³, OpenBLAS, %d threads): %.1f GFLOP/s (the better of %.1f before the cases and %.1f after)",
                 threads, peak, peakBefore, peakAfter))
    if let reference { print("PyTorch \(reference.version), fp32, \(threads) threads") } else {
        print("no PyTorch reference: run `make bench-reference` once to install it into .venv-bench")
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
