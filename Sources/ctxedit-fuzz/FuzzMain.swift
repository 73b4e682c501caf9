import Foundation

/// Two builds of one executable.
///
/// - The normal build (`swift build`, CI): replay mode. It runs a target on files and folders of inputs and prints
///   how each ended:
///
///       ctxedit-fuzz [--target NAME] PATH...     NAME: safetensors|config|tokenizer|video|pipeline
///                                                (default: $CTXEDIT_FUZZ_TARGET); folders are read recursively
///
///   Exit status: 0 when every input was accepted or cleanly refused, 1 when one broke a promise (the message says
///   which), 2 for bad usage. A crash is a crash.
/// - The libFuzzer build (`Fuzz/fuzz.sh`: `-sanitize=fuzzer,address -DCTXEDIT_LIBFUZZER`, plus
///   `-enable-experimental-feature Extern` for the declaration below): `main` hands the command line to libFuzzer's
///   `LLVMFuzzerRunDriver` with ``fuzzTestOneInput(_:_:)``, so every libFuzzer flag works
///   (`CTXEDIT_FUZZ_TARGET=video ctxedit-fuzz CORPUS -max_total_time=60`). SwiftPM links executables with their
///   own entry point, so libFuzzer's `main` is never used.
#if CTXEDIT_LIBFUZZER
@_extern(c, "LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@main
struct FuzzDriver {
    static func main() {
        _ = FuzzEntry.target  // fail at once on a missing or unknown target
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzTestOneInput($0, $1) })
    }
}
#else
@main
struct FuzzReplay {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var target = FuzzTarget.fromEnvironment
        if let i = arguments.firstIndex(of: "--target"), i + 1 < arguments.count {
            target = FuzzTarget(rawValue: arguments[i + 1])
            arguments.removeSubrange(i...(i + 1))
        }
        arguments.removeAll { $0.hasPrefix("-") }  // libFuzzer flags, so scripts can pass the same command line
        guard let target, !arguments.isEmpty else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            print("usage: ctxedit-fuzz [--target \(names)] FILE|FOLDER...  (or CTXEDIT_FUZZ_TARGET=NAME)")
            exit(2)
        }
        var unclean = 0, count = 0
        for file in arguments.flatMap(inputFiles) {
            guard let data = FileManager.default.contents(atPath: file) else {
                print("\(file): cannot read")
                unclean += 1
                continue
            }
            let outcome = target.run(data)
            count += 1
            if outcome.isUnclean { unclean += 1 }
            print("\(file): \(outcome)")
        }
        print("\(target.rawValue): \(count) input(s), \(unclean) unclean")
        exit(unclean == 0 ? 0 : 1)
    }

    /// A file, or every file under a folder (sorted, hidden files skipped).
    static func inputFiles(_ path: String) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return [path] }
        let names = (FileManager.default.subpaths(atPath: path) ?? []).sorted()
        return names.filter { !($0 as NSString).lastPathComponent.hasPrefix(".") }
            .map { (path as NSString).appendingPathComponent($0) }
            .filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue }
    }
}
#endif
