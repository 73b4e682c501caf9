import Foundation

/// libFuzzer's entry point: one input, the target named by `CTXEDIT_FUZZ_TARGET`. An unclean outcome is turned into
/// a crash so libFuzzer saves the input; parser crashes are crashes already.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let target = FuzzEntry.target
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    let outcome = target.run(data)
    if case .unclean(let message) = outcome {
        FileHandle.standardError.write(Data("ctxedit-fuzz [\(target.rawValue)]: \(message)\n".utf8))
        abort()
    }
    return 0
}

/// libFuzzer calls this once before the first input: it checks the target name so a typo fails at once.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    _ = FuzzEntry.target
    return 0
}

enum FuzzEntry {
    /// The target, read once from the environment; a missing or unknown name stops the process with the list.
    static let target: FuzzTarget = {
        guard let target = FuzzTarget.fromEnvironment else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            FileHandle.standardError.write(Data("ctxedit-fuzz: set CTXEDIT_FUZZ_TARGET=\(names)\n".utf8))
            exit(2)
        }
        return target
    }()
}
