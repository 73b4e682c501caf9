extension Gallery {
    /// Inline CSS: the page needs no other file.
    static let style = """
    body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;background:#16181c;color:#e6e6e6}
    a{color:#8ab4f8}code{font-size:12px;color:#bbb}h1{margin:.2em 0}h2{margin:.2em 0 .4em}
    .summary .bad{color:#ff8a80}table.settings{border-collapse:collapse;margin:.5em 0}
    table.settings th,table.settings td{text-align:left;padding:1px 10px 1px 0;font-weight:normal}
    table.settings th{color:#999}section.clip{border-top:1px solid #333;padding:1em 0}
    .row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
    figure{margin:0;width:256px;background:#202328;border-radius:6px;padding:6px}
    figure video,figure img{width:100%;image-rendering:pixelated;background:#000;display:block}
    figure.source{outline:1px solid #555}figure.failed{outline:1px solid #c62828}
    figcaption{font-size:12px;margin-top:4px;color:#aaa}.prompt{color:#fff;font-size:13px}
    .error{color:#ff8a80;font-size:12px;white-space:pre-wrap;word-break:break-word;min-height:64px}
    .pending{color:#888;min-height:64px;display:flex;align-items:center;justify-content:center}
    .links{font-size:11px;display:block;margin-top:2px}
    .strip img{height:192px;width:auto;max-width:100%;object-fit:contain;object-position:left;image-rendering:pixelated}
    .failures pre{white-space:pre-wrap;margin:0;color:#ff8a80}.failures td{vertical-align:top;padding:2px 8px}
    """

    /// Clicking a clip's heading restarts its row of videos together.
    static let script = """
    document.querySelectorAll('section.clip h2').forEach(function(h){h.title='click: replay this row in sync';h.style.cursor='pointer';
    h.addEventListener('click',function(){h.parentNode.querySelectorAll('video').forEach(function(v){v.currentTime=0;v.play();});});});
    """
}
