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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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

        .target(name: "MediaIO", dependencies: ["CFFmpeg", "CFFmpegShim"]),
        .target(name: "Scenes", dependencies: ["MediaIO"]),
        .target(name: "SafeTensors"),
        .target(name: "Models", dependencies: ["Tensors", "SafeTensors"]),
        .target(name: "Diffusion", dependencies: ["MediaIO", "Models", "Tensors", "SafeTensors"]),
        .target(name: "Tensors", dependencies: ["COpenBLAS"]),
        .executableTarget(
            name: "ctxedit",
            dependencies: [
                "MediaIO", "Scenes", "Models", "Diffusion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .executableTarget(name: "ctxedit-bench", dependencies: ["Models", "Tensors"]),

        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO", "Scenes"]),
        .testTarget(name: "ScenesTests", dependencies: ["Scenes", "MediaIO"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Tensors", "SafeTensors"]),
        .testTarget(name: "DiffusionTests", dependencies: ["Diffusion", "Models", "Tensors", "SafeTensors"]),
    ]
)
