import Foundation

/// Checks a gallery page the way a browser would load it: every `src` and `href` must be a relative path to a
/// file that exists (no network, no absolute paths), in-page `#anchors` must name an element.
public enum GalleryLinks {
    /// The `src` and `href` attribute values of `html`, in order, with HTML entities decoded.
    public static func references(in html: String) -> [String] {
        let pattern = try? NSRegularExpression(pattern: #"\b(?:src|href)\s*=\s*"([^"]*)""#, options: [.caseInsensitive])
        let range = NSRange(html.startIndex..., in: html)
        return (pattern?.matches(in: html, range: range) ?? []).compactMap { match in
            Range(match.range(at: 1), in: html).map { unescape(String(html[$0])) }
        }
    }

    /// Problems with `page` (a path to an HTML file): missing files, network or absolute references, dangling anchors.
    public static func problems(page: String) throws -> [String] {
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let folder = (page as NSString).deletingLastPathComponent
        var problems: [String] = []
        for ref in references(in: html) {
            if ref.hasPrefix("#") {
                if !html.contains("id=\"\(ref.dropFirst())\"") { problems.append("\(ref): no element has this id") }
                continue
            }
            if ref.contains("://") || ref.hasPrefix("//") || ref.hasPrefix("/") || ref.hasPrefix("data:") {
                problems.append("\(ref): not a relative file reference (the gallery must work offline, moved with its folder)")
                continue
            }
            let path = (folder as NSString).appendingPathComponent(ref.removingPercentEncoding ?? ref)
            if !FileManager.default.fileExists(atPath: path) { problems.append("\(ref): no such file (\(path))") }
        }
        return problems
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
