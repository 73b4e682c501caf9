import Foundation
import Testing
@testable import ctxedit_fuzz

/// Every input under `Fuzz/regressions/<target>/` (minimized crashes and unclean errors found by fuzzing, each
/// fixed since) and the seed corpus under `Fuzz/corpus/<target>/` goes through the fuzz target's entry point again:
/// it must not crash (a crash kills this process, failing the run) and must end accepted or refused with a clean,
/// typed error that names the file. Serialized: the targets write their input to fixed names in one scratch
/// folder per process and keep loaded fixtures in statics, as libFuzzer runs them (one input at a time).
@Suite(.serialized) struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func inputs(_ kind: String, _ target: FuzzTarget) -> [String] {
        let folder = root + "/Fuzz/\(kind)/\(target.rawValue)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { folder + "/" + $0 }
    }

    @Test(arguments: FuzzTarget.allCases)
    func regressionsStayFixed(_ target: FuzzTarget) throws {
        for file in Self.inputs("regressions", target) {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            let outcome = target.run(data)
            #expect(!outcome.isUnclean, "\((file as NSString).lastPathComponent): \(outcome)")
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedsAreCleanAndMostlyAccepted(_ target: FuzzTarget) throws {
        let files = Self.inputs("corpus", target)
        #expect(!files.isEmpty, "no seeds in Fuzz/corpus/\(target.rawValue)")
        var accepted = 0
        for file in files {
            let outcome = target.run(try Data(contentsOf: URL(fileURLWithPath: file)))
            #expect(!outcome.isUnclean, "\((file as NSString).lastPathComponent): \(outcome)")
            if case .accepted = outcome { accepted += 1 }
        }
        // Seeds are meant to reach deep: at least one per target parses completely.
        #expect(accepted > 0, "no seed of \(target.rawValue) is accepted")
    }

    /// The harness itself: a refusal is classified clean only for the modules' typed errors.
    @Test func untypedErrorsAreUnclean() {
        struct Stray: Error {}
        #expect(FuzzTarget.config.classify(Stray()).isUnclean)
    }
}
