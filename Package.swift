// swift-tools-version: 6.0
// ctxedit: text-guided video editing (ContextDiff) on the CPU, in Swift.
//
// Targets follow the data flow: MediaIO (decode/encode clips, strips) → Scenes (the sample renderer)
// → Tensors → Models → Diffusion → Training → Batch, with the `ctxedit` executable on top.
// See docs/ARCHITECTURE.md.
import PackageDescription

let package = Package(
    name: "ctxedit",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ctxedit", targets: ["ctxedit"]),
        .library(name: "MediaIO", targets: ["MediaIO"]),
        .library(name: "Scenes", targets: ["Scenes"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Diffusion", targets: ["Diffusion"]),
        .library(name: "Training", targets: ["Training"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // System libraries. Debian: libavformat-dev libavcodec-dev libswscale-dev libavutil-dev, libopenblas-dev.
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // C macros that do not import into Swift (AVERROR(EAGAIN), AVERROR_EOF, av_err2str, ...).
        .target(name: "CFFmpegShim", dependencies: ["CFFmpeg"]),
        // Kernels BLAS does not have (fused attention), compiled per x86-64 level and picked at load.
        .target(name: "CKernels"),

        .target(name: "MediaIO", dependencies: ["CFFmpeg", "CFFmpegShim"]),
        .target(name: "Scenes", dependencies: ["MediaIO"]),
        .target(name: "SafeTensors"),
        .target(name: "Models", dependencies: ["Tensors", "SafeTensors"]),
        .target(name: "Diffusion", dependencies: ["MediaIO", "Models", "Tensors", "SafeTensors"]),
        .target(name: "Tensors", dependencies: ["COpenBLAS", "CKernels"]),
        .target(name: "Evaluation", dependencies: ["MediaIO", "Scenes", "Models", "Diffusion", "Training"]),
        .target(name: "Training", dependencies: ["Tensors", "Models", "SafeTensors", "COpenBLAS", "CKernels", "Diffusion", "MediaIO"]),
        .target(name: "ModelRecipes", dependencies: ["Diffusion", "Training", "Models", "Scenes", "MediaIO", "SafeTensors", "Tensors"]),
        .target(name: "Batch", dependencies: ["MediaIO", "Models", "Diffusion", .product(name: "Yams", package: "Yams")]),
        .executableTarget(
            name: "ctxedit",
            dependencies: [
                "MediaIO", "Scenes", "Models", "Diffusion", "Batch", "Tensors", "ModelRecipes", "Evaluation", "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .executableTarget(name: "ctxedit-bench", dependencies: ["Models", "Tensors", "Diffusion", "MediaIO"]),
        // Fuzz targets for every parser (docs/RELIABILITY.md): replay mode here, libFuzzer through Fuzz/fuzz.sh.
        .executableTarget(name: "ctxedit-fuzz", dependencies: ["SafeTensors", "Models", "Tensors", "Diffusion", "MediaIO", "Batch"]),

        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO", "Scenes"]),
        .testTarget(name: "ScenesTests", dependencies: ["Scenes", "MediaIO"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "CKernels"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Scenes", "MediaIO", "Diffusion", "Batch"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Tensors", "SafeTensors"]),
        .testTarget(name: "DiffusionTests", dependencies: ["Diffusion", "Models", "Tensors", "SafeTensors"]),
        // Also runs the built `ctxedit` (tune end to end), hence the dependency.
        .testTarget(name: "ModelRecipesTests", dependencies: ["ModelRecipes", "Models", "Batch", "Diffusion", "Scenes", "Training", "MediaIO", "SafeTensors"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "Tensors", "SafeTensors", "Diffusion", "MediaIO", "ctxedit"]),
        // End-to-end tests run the built `ctxedit` executable (hence the dependency: it is built first).
        .testTarget(name: "BatchTests", dependencies: ["Batch", "MediaIO", "ctxedit"]),
        // Replays Fuzz/regressions/<target>/ through the fuzz entry points.
        .testTarget(name: "FuzzRegressionTests", dependencies: ["ctxedit-fuzz", "Models", "Diffusion", "SafeTensors", "Tensors", "Batch", "MediaIO"]),
    ]
)
