#!/usr/bin/env bash
# Checks a pipeline gallery (OUT/index.html, written by `ctxedit run`) the way a reader sees it:
#   1. every src/href in the page is a relative path to a file that exists (no network, no absolute paths);
#   2. headless Chromium renders the page and every <video> and <img> in it loads and decodes (a copy of the
#      page with a small probe script is opened; the probe reports each element's size or error);
#   3. optionally, a screenshot of the page.
#
# Usage:   scripts/check-gallery.sh OUT [SCREENSHOT.png]
# Example: ctxedit run Pipelines/samples.yaml --model M && scripts/check-gallery.sh out/samples out/gallery.png
# Needs:   chromium (Debian: apt-get install chromium) for step 2; without it step 2 is skipped with a warning
#          unless CHECK_GALLERY_REQUIRE_BROWSER=1.
# Exit:    0 all good, 1 a problem was found (each is printed), 2 usage error.
set -euo pipefail

out="${1:-}"
shot="${2:-}"
if [[ -z "$out" || ! -f "$out/index.html" ]]; then
    echo "usage: $0 OUT [SCREENSHOT.png]   (OUT holds index.html from ctxedit run)" >&2
    exit 2
fi
out="$(cd "$out" && pwd)"
page="$out/index.html"
problems=0

# 1. Static references.
while IFS= read -r ref; do
    case "$ref" in
        "#"*) id="${ref#\#}"; grep -q "id=\"$id\"" "$page" || { echo "FAIL $ref: no element has this id"; problems=$((problems + 1)); } ;;
        *://*|//*|/*|data:*) echo "FAIL $ref: not a relative file reference"; problems=$((problems + 1)) ;;
        *) file="$(printf '%b' "${ref//%/\\x}")"
           [[ -e "$out/$file" ]] || { echo "FAIL $ref: no such file"; problems=$((problems + 1)); } ;;
    esac
done < <(grep -oE '(src|href)="[^"]*"' "$page" | sed -E 's/^(src|href)="(.*)"$/\2/' | sed 's/&amp;/\&/g')
echo "static references: $(grep -oE '(src|href)="[^"]*"' "$page" | wc -l) checked"

# 2. Render in headless Chromium.
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [[ -z "$browser" ]]; then
    echo "warning: no chromium found; skipping the browser check (apt-get install chromium)" >&2
    [[ "${CHECK_GALLERY_REQUIRE_BROWSER:-0}" == 1 ]] && exit 1
    exit $((problems > 0))
fi
flags=(--headless --disable-gpu --hide-scrollbars --autoplay-policy=no-user-gesture-required)
[[ "$(id -u)" == 0 ]] && flags+=(--no-sandbox)   # Chromium refuses to sandbox as root

probe="$out/.gallery-check-$$.html"
trap 'rm -f "$probe"' EXIT
{
    cat "$page"
    cat <<'JS'
<script>
window.addEventListener('load', function () {
  var items = Array.prototype.slice.call(document.querySelectorAll('video, img'));
  var results = [], pending = items.length;
  function finish() { var pre = document.createElement('pre'); pre.id = 'gallery-check'; pre.textContent = results.join('\n') + '\nEND'; document.body.appendChild(pre); }
  function done(el, ok, why) { results.push((ok ? 'OK ' : 'FAIL ') + el.getAttribute('src') + ' ' + why); if (--pending === 0) finish(); }
  items.forEach(function (el) {
    if (el.tagName === 'IMG') {
      if (el.complete) done(el, el.naturalWidth > 0, el.naturalWidth + 'x' + el.naturalHeight);
      else { el.onload = function () { done(el, true, el.naturalWidth + 'x' + el.naturalHeight); };
             el.onerror = function () { done(el, false, 'does not load'); }; }
    } else if (el.readyState >= 2) {
      done(el, el.videoWidth > 0, el.videoWidth + 'x' + el.videoHeight);
    } else {
      el.addEventListener('loadeddata', function () { done(el, el.videoWidth > 0, el.videoWidth + 'x' + el.videoHeight); });
      el.addEventListener('error', function () { done(el, false, 'media error ' + (el.error && el.error.code)); });
    }
  });
  if (pending === 0) finish();
});
</script>
JS
} > "$probe"
dom="$(timeout 120 "$browser" "${flags[@]}" --virtual-time-budget=15000 --dump-dom "file://$probe" 2>/dev/null || true)"
report="$(printf '%s\n' "$dom" | sed -n '/<pre id="gallery-check">/,/END<\/pre>/p' | sed -E 's/<[^>]*>//g' | grep -E '^(OK|FAIL) ' || true)"
expected="$(grep -oE '<(video|img) ' "$page" | wc -l)"
if ! printf '%s\n' "$dom" | grep -q 'id="gallery-check"'; then
    echo "FAIL the page did not render in $browser (no probe report)"; problems=$((problems + 1))
else
    printf '%s\n' "$report"
    got="$(printf '%s\n' "$report" | grep -c '^OK ' || true)"
    failed="$(printf '%s\n' "$report" | grep -c '^FAIL ' || true)"
    problems=$((problems + failed))
    if [[ "$got" -ne "$expected" && "$failed" -eq 0 ]]; then
        echo "FAIL $expected media elements on the page but $got reported loaded"; problems=$((problems + 1))
    fi
    echo "browser: $got of $expected media elements loaded in $("$browser" --version 2>/dev/null | head -1)"
fi

# 3. Screenshot.
if [[ -n "$shot" ]]; then
    shot="$(cd "$(dirname "$shot")" && pwd)/$(basename "$shot")"
    timeout 120 "$browser" "${flags[@]}" --virtual-time-budget=5000 --window-size=1280,1600 --screenshot="$shot" "file://$page" >/dev/null 2>&1 || true
    [[ -s "$shot" ]] && echo "screenshot: $shot" || { echo "FAIL no screenshot written"; problems=$((problems + 1)); }
fi

if [[ "$problems" -gt 0 ]]; then echo "gallery check: $problems problem(s)"; exit 1; fi
echo "gallery check: ok"
