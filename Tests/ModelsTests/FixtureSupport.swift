import Foundation
import SafeTensors
import Testing
@testable import Models
@testable import Tensors

/// `Tests/Fixtures`, written by `scripts/make_fixtures.py` from diffusers/transformers (committed).
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").path

/// A tensor from a fixture file.
func fixture(_ file: String, _ name: String) throws -> Tensor {
    let f = try SafeTensorsFile(path: fixtures + "/" + file)
    return Tensor(shape: try f.entry(name).shape, scalars: try f.floats(name))
}

/// Compares against a golden tensor: max-abs error within `tolerance`; on failure prints the first differing
/// values (llm.c's check_tensor).
func expectClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ label: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.shape == expected.shape else {
        Issue.record("\(label): shape \(actual.shape) vs expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    var maxError: Float = 0
    var shown: [String] = []
    for i in 0..<actual.count {
        let d = abs(actual.scalars[i] - expected.scalars[i])
        if !(d <= tolerance) && shown.count < 5 { shown.append("[\(i)] \(actual.scalars[i]) vs \(expected.scalars[i])") }
        maxError = max(maxError, d.isNaN ? .infinity : d)
    }
    #expect(maxError <= tolerance, "\(label): max-abs error \(maxError) > \(tolerance); first differences: \(shown.joined(separator: ", "))",
            sourceLocation: sourceLocation)
}
