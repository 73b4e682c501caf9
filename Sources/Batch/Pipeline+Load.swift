import Foundation
import Yams

extension Pipeline {
    /// Reads a pipeline file in either shape: ctxedit's schema, or a ContextDiff-style editing configuration
    /// (recognised by `pretrained_model_path`, `dataset_config` or `editing_config` at the top).
    public static func load(_ file: String) throws -> Pipeline {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw PipelineError(.unreadable, file: file, line: nil, key: "", problem: "cannot read the file (\(error.localizedDescription))",
                                hint: FileManager.default.fileExists(atPath: file) ? nil : "check the path")
        }
        return try parse(text, file: file)
    }

    /// Parses pipeline text; `file` names it in messages and anchors relative paths.
    public static func parse(_ text: String, file: String) throws -> Pipeline {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        }
        guard let node else {
            throw PipelineError(.unreadable, file: file, line: nil, key: "", problem: "the file is empty",
                                hint: "see Pipelines/samples.yaml for an example")
        }
        let root = try YAMLField(node: node, key: "", file: file).mapping()
        if root.names.contains(where: contextDiffMarkers.contains) {
            return try parseContextDiff(root, file: file)
        }
        return try parseSchema(root, file: file)
    }

    static func syntaxError(_ error: YamlError, file: String) -> PipelineError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PipelineError(.unreadable, file: file, line: mark.line, key: "", problem: "not valid YAML: \(problem)",
                                 hint: "check indentation and quotes on that line")
        default:
            return PipelineError(.unreadable, file: file, line: nil, key: "", problem: "not valid YAML: \(error)")
        }
    }
}
