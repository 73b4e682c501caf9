import Foundation
import MediaIO

/// `index.html` in a pipeline's output folder: one self-contained page (inline style, no network, relative links)
/// showing per clip the source and each edit playing side by side, the strip, prompts, settings and timings, and
/// failed jobs with their errors. Built from what is on disk, so it also shows other shards' and earlier runs' results.
public enum Gallery {
    /// What the page shows for one job.
    enum Entry {
        case done(Manifest)
        case failed(FailureRecord)
        case pending
    }

    /// Writes `OUT/index.html` atomically; returns its path.
    @discardableResult
    public static func write(pipeline: Pipeline, jobs: [Job], modelPath: String?) throws -> String {
        let layout = OutputLayout(folder: pipeline.output.folder)
        try FileManager.default.createDirectory(atPath: layout.folder, withIntermediateDirectories: true)
        try AtomicOutput.write(Data(html(pipeline: pipeline, jobs: jobs, modelPath: modelPath).utf8), to: layout.gallery)
        return layout.gallery
    }

    static func entry(_ job: Job, layout: OutputLayout) -> Entry {
        if let failure = FailureRecord.read(layout.failure(job)) { return .failed(failure) }
        if let manifest = Manifest.read(layout.manifest(job)) { return .done(manifest) }
        return .pending
    }

    public static func html(pipeline: Pipeline, jobs: [Job], modelPath: String?) -> String {
        let layout = OutputLayout(folder: pipeline.output.folder)
        let entries = jobs.map { ($0, entry($0, layout: layout)) }
        var done = 0, failed = 0, pending = 0
        for (_, e) in entries {
            switch e { case .done: done += 1; case .failed: failed += 1; case .pending: pending += 1 }
        }
        var clips: [(ClipEntry, [(Job, Entry)])] = []
        for (job, e) in entries {
            if clips.last?.0.id == job.clip.id { clips[clips.count - 1].1.append((job, e)) } else { clips.append((job.clip, [(job, e)])) }
        }
        var page = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>ctxedit: \(escape(pipeline.name))</title><style>\(style)</style></head>
        <body>
        <header><h1>\(escape(pipeline.name))</h1>
        <p class="summary">\(clips.count) clip(s) × \(pipeline.edits.count) edit(s): <b>\(done) done</b>, <b\(failed > 0 ? " class=\"bad\"" : "")>\(failed) failed</b>, \(pending) not run yet.
        Built \(escape(timestamp())) by ctxedit \(ctxeditVersion) from <code>\(escape(pipeline.file))</code>.</p>
        \(settingsTable(pipeline, modelPath: modelPath))
        </header>

        """
        for (clip, rows) in clips { page += clipSection(clip, rows, layout: layout) }
        let failures = entries.compactMap { job, e -> (Job, FailureRecord)? in if case .failed(let f) = e { return (job, f) }; return nil }
        if !failures.isEmpty {
            page += "<section class=\"failures\"><h2>Failed jobs</h2><table><tr><th>job</th><th>error</th><th>when</th></tr>\n"
            for (job, f) in failures {
                page += "<tr><td><a href=\"#\(anchor(job.clip.id))\">\(escape(job.id))</a></td><td><pre>\(escape(f.error))</pre></td><td>\(escape(f.finished))</td></tr>\n"
            }
            page += "</table></section>\n"
        }
        return page + "<script>\(script)</script>\n</body></html>\n"
    }

    static func settingsTable(_ p: Pipeline, modelPath: String?) -> String {
        let rows: [(String, String)] = [
            ("model", modelPath ?? p.model ?? "(default)"), ("frames", Job.describe(p.selection)),
            ("steps", "\(p.sampler.steps)"), ("guidance", "\(p.sampler.guidance)"),
            ("negative prompt", p.sampler.negativePrompt.isEmpty ? "(none)" : p.sampler.negativePrompt),
            ("adapter", p.sampler.adapter ? "on" : "off"), ("frame attention", SamplerSpec.name(p.sampler.frameAttention)),
        ]
        return "<table class=\"settings\">" + rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined() + "</table>"
    }

    static func clipSection(_ clip: ClipEntry, _ rows: [(Job, Entry)], layout: OutputLayout) -> String {
        let folder = layout.clipFolder(clip.id)
        var s = "<section class=\"clip\" id=\"\(anchor(clip.id))\"><h2>\(escape(clip.id))</h2>\n"
        s += "<p class=\"caption\">source caption: \(clip.caption.isEmpty ? "<i>(none)</i>" : "“\(escape(clip.caption))”") · <code>\(escape(clip.path))</code></p>\n"
        s += "<div class=\"row\">\n"
        s += figure(media: media(in: folder, clipID: clip.id, names: ["source.mp4", "source.gif"]), title: "source", detail: "", cls: "source")
        for (job, entry) in rows {
            switch entry {
            case .done(let m):
                let detail = "guidance \(m.edit.guidance) · seed \(m.edit.seed) · \(m.sampler.steps) steps · \(String(format: "%.1f", m.timings.total)) s · inversion \(m.inversion)"
                s += figure(media: media(in: folder, clipID: clip.id, names: m.outputs), title: m.edit.prompt, detail: "<b>\(escape(m.edit.name))</b> · " + escape(detail), cls: "done")
            case .failed(let f):
                s += figure(media: "<div class=\"error\">\(escape(f.error))</div>", title: job.edit.prompt, detail: "<b>\(escape(job.edit.name))</b> · failed", cls: "failed")
            case .pending:
                s += figure(media: "<div class=\"pending\">not run yet</div>", title: job.edit.prompt, detail: "<b>\(escape(job.edit.name))</b>", cls: "pending")
            }
        }
        s += "</div>\n"
        if FileManager.default.fileExists(atPath: layout.strip(clip.id)) {
            s += "<p class=\"strip\"><img src=\"\(href(clip.id, "strip.png"))\" alt=\"strip of \(escape(clip.id)): source row, then one row per edit\"></p>\n"
        }
        return s + "</section>\n"
    }

    /// A `<video>` for the first MP4 among `names`, else an `<img>` for a GIF, plus links to the other files.
    static func media(in folder: String, clipID: String, names: [String]) -> String {
        let present = names.filter { FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent($0)) }
        guard let main = present.first(where: { $0.hasSuffix(".mp4") }) ?? present.first else { return "<div class=\"pending\">missing</div>" }
        var s = main.hasSuffix(".mp4")
            ? "<video src=\"\(href(clipID, main))\" autoplay loop muted playsinline></video>"
            : "<img src=\"\(href(clipID, main))\" alt=\"\(escape(main))\">"
        let others = present.filter { $0 != main }
        if !others.isEmpty { s += "<span class=\"links\">" + others.map { "<a href=\"\(href(clipID, $0))\">\(escape($0))</a>" }.joined(separator: " ") + "</span>" }
        return s
    }

    static func figure(media: String, title: String, detail: String, cls: String) -> String {
        "<figure class=\"\(cls)\">\(media)<figcaption><span class=\"prompt\">\(escape(title))</span><br>\(detail)</figcaption></figure>\n"
    }

    /// A relative link `CLIP/NAME`, percent-encoded.
    static func href(_ clipID: String, _ name: String) -> String {
        [clipID, name].map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? $0 }
            .joined(separator: "/")
    }

    static func anchor(_ id: String) -> String { "clip-" + escape(id) }

    static func escape(_ text: String) -> String {
        var s = ""
        for c in text {
            switch c {
            case "&": s += "&amp;"
            case "<": s += "&lt;"
            case ">": s += "&gt;"
            case "\"": s += "&quot;"
            case "'": s += "&#39;"
            default: s.append(c)
            }
        }
        return s
    }
}
