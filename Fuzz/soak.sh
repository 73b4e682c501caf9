#!/usr/bin/env bash
# Long batch soak: `ctxedit run` over many short jobs on the tiny fixture model (16 px, 2 frames, 2 steps) with
# injected failures, checking after every run that finished jobs are complete and readable, failures are reported
# (exit status, FAILED lines, CLIP/EDIT.failed.json), no partial file is left, and that re-runs finish the rest.
#
#   Fuzz/soak.sh                       SOAK_CLIPS=24 good clips × 2 edits, in a fresh /tmp/ctxedit-soak.XXXXXX
#   CTXEDIT=path/to/ctxedit            use this binary (default: build release in .build-soak)
#   SOAK_CLIPS=N  SOAK_DIR=DIR  SOAK_DISK_KB=K (size of the "full disk"; default: about half of what the run needs)
#
# Injected: a corrupt clip (a truncated header), a clip whose output folder is a file (unwritable), SIGTERM and
# SIGKILL mid-run, an output folder on a tmpfs that fills up (then grows), and a whole-run output folder on a
# read-only mount. Needs root for the mounts (tmpfs); without it those two phases are skipped and said so.
# Results: a table on stdout and in DIR/soak-results.txt. Exit status 1 when a check fails.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ -z "${CTXEDIT:-}" ]; then
    ${SWIFT:-swift} build -c release --scratch-path .build-soak --product ctxedit >&2 || exit 2
    CTXEDIT=$ROOT/.build-soak/release/ctxedit
fi
CLIPS=${SOAK_CLIPS:-24}
WORK=${SOAK_DIR:-$(mktemp -d /tmp/ctxedit-soak.XXXXXX)}
MODEL=$ROOT/Tests/Fixtures/pipelines/sd1-tiny
OUT=$WORK/out
RESULTS=$WORK/soak-results.txt
mkdir -p "$WORK/clips" "$WORK/cache"
cd "$WORK"
failures=0
mounted=()
cleanup() { for m in "${mounted[@]}"; do umount "$m" 2>/dev/null; done; }
trap cleanup EXIT

say() { echo "$*" | tee -a "$RESULTS"; }
check() {  # check NAME CONDITION-RESULT(0/1) DETAIL
    if [ "$2" -eq 0 ]; then say "  ok    $1 ($3)"; else say "  FAIL  $1 ($3)"; failures=$((failures + 1)); fi
}
count() { find "$OUT" -name "$1" 2>/dev/null | wc -l; }
partials() { find "$OUT" -name '.*.partial-*' 2>/dev/null | wc -l; }
# Every output a manifest lists exists and decodes.
unreadable() {
    local bad=0
    while IFS= read -r m; do
        local folder; folder=$(dirname "$m")
        for o in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["outputs"]))' "$m"); do
            "$CTXEDIT" info "$folder/$o" >/dev/null 2>&1 || bad=$((bad + 1))
        done
    done < <(find "$OUT" -name '*.manifest.json' 2>/dev/null)
    echo "$bad"
}
can_mount=0
if [ "$(id -u)" = 0 ] && mkdir -p "$WORK/probe" && mount -t tmpfs -o size=64k tmpfs "$WORK/probe" 2>/dev/null; then
    umount "$WORK/probe"; can_mount=1
fi

# 1. Clips: the samples, renamed N times with their captions; a corrupt one; one whose output folder is blocked.
i=0
while [ $i -lt "$CLIPS" ]; do
    for s in "$ROOT"/Samples/*.mp4; do
        [ $i -lt "$CLIPS" ] || break
        name=$(printf 'clip-%03d' $i)
        cp "$s" "clips/$name.mp4"; cp "${s%.mp4}.txt" "clips/$name.txt" 2>/dev/null
        i=$((i + 1))
    done
done
head -c 300 "$ROOT/Samples/red-circle.mp4" > clips/corrupt.mp4
cp "$ROOT/Samples/orange-square.mp4" clips/blocked.mp4
cat > soak.yaml <<YAML
version: 1
input: {folder: clips}
frames: {count: 2, size: 16}
sampler: {steps: 2, cache: cache}
edits:
  - a red circle on a blue background
  - prompt: a green triangle
    name: triangle
output: {folder: out, formats: [mp4], strip: true, gallery: true}
YAML
TOTAL=$(( (CLIPS + 2) * 2 ))
GOOD=$(( CLIPS * 2 ))
: > "$RESULTS"
say "soak: $CLIPS good clips + corrupt + blocked, 2 edits: $TOTAL jobs ($GOOD can complete); ctxedit $CTXEDIT; work $WORK"

run() {  # run LABEL [ctxedit args...]: runs in the background, sets PID
    "$CTXEDIT" run soak.yaml --model "$MODEL" --progress plain "${@:2}" > "$1.log" 2>&1 &
    PID=$!
}
wait_for_manifests() {  # until N manifests exist or the run ends
    while [ "$(count '*.manifest.json')" -lt "$1" ] && kill -0 "$PID" 2>/dev/null; do sleep 0.1; done
}
phase() { say ""; say "== $1"; }
events() { grep -cE "^[0-9T:-]+Z $1 " "$2.log"; }  # timestamped event lines (not the summary table)
# Edit outputs without a manifest: a job that wrote some outputs, then failed (they are redone on the next run).
orphans() {
    local n=0
    while IFS= read -r f; do
        local stem="${f%.*}"; [ -f "$stem.manifest.json" ] || n=$((n + 1))
    done < <(find "$OUT" -mindepth 2 \( -name '*.mp4' -o -name '*.gif' \) ! -name 'source.*' 2>/dev/null)
    echo "$n"
}
report() {  # report LABEL STATUS SECONDS
    local failed; failed=$(events FAILED "$1")
    say "  run   status $2 in $3 s; manifests $(count '*.manifest.json')/$GOOD, failed.json $(count '*.failed.json'), FAILED lines $failed, partial files $(partials)"
}

# 2. The output folder lives on a tmpfs that can be filled and grown (when mounting is possible).
mkdir -p "$OUT"
if [ $can_mount = 1 ]; then mount -t tmpfs -o size=64m tmpfs "$OUT" && mounted+=("$OUT"); fi
mkdir -p "$OUT"; : > "$OUT/blocked"   # a file where the clip's output folder goes

phase "run 1: SIGTERM after 3 jobs (graceful stop)"
start=$(date +%s); run run1; wait_for_manifests 3; kill -TERM "$PID"; wait "$PID"; st=$?; report run1 $st $(( $(date +%s) - start ))
check "interrupted run exits 130" $([ $st = 130 ] && echo 0 || echo 1) "status $st"
check "no partial files after SIGTERM" $([ "$(partials)" = 0 ] && echo 0 || echo 1) "$(partials)"
check "finished jobs decode" $([ "$(unreadable)" = 0 ] && echo 0 || echo 1) "$(unreadable) unreadable"
after1=$(count '*.manifest.json')

phase "run 2: SIGKILL after 3 more jobs (no chance to clean up)"
start=$(date +%s); run run2; wait_for_manifests $((after1 + 3)); kill -KILL "$PID"; wait "$PID" 2>/dev/null; st=$?
report run2 $st $(( $(date +%s) - start ))
left=$(partials)
say "  note  SIGKILL left $left partial file(s): $(find "$OUT" -name '.*.partial-*' -printf '%P ' 2>/dev/null)"
check "resumed: run 2 skipped run 1's jobs" $([ "$(events skip run2)" = "$after1" ] && echo 0 || echo 1) "$(events skip run2) skipped of $after1"
check "finished jobs decode" $([ "$(unreadable)" = 0 ] && echo 0 || echo 1) "$(unreadable) unreadable"

if [ $can_mount = 1 ]; then
    phase "run 3: the output disk fills up"
    used=$(du -sk "$OUT" | cut -f1); done_now=$(count '*.manifest.json')
    per_job=$(( (used + done_now - 1) / (done_now > 0 ? done_now : 1) + 1 ))
    size=${SOAK_DISK_KB:-$(( used + per_job * (GOOD - done_now) / 2 ))}
    mount -o remount,size=${size}k "$OUT"
    say "  disk  ${size} KB (used ${used} KB by $done_now jobs, about $per_job KB per job)"
    start=$(date +%s); run run3; wait "$PID"; st=$?; report run3 $st $(( $(date +%s) - start ))
    check "a run with failed jobs exits 1" $([ $st = 1 ] && echo 0 || echo 1) "status $st"
    nospace=$(grep -ci 'no space' run3.log)
    check "full disk reported" $([ "$nospace" -gt 0 ] && echo 0 || echo 1) "$nospace lines mention no space"
    check "no partial files after ENOSPC" $([ "$(partials)" -le "$left" ] && echo 0 || echo 1) "$(partials) (SIGKILL left $left)"
    check "finished jobs decode" $([ "$(unreadable)" = 0 ] && echo 0 || echo 1) "$(unreadable) unreadable"
    say "  note  $(orphans) edit output(s) without a manifest (a later write of the job failed; redone next run)"
    mount -o remount,size=64m "$OUT"

    phase "run 4: whole-run output folder on a read-only mount"
    mkdir -p "$WORK/readonly"; mount -t tmpfs -o ro,size=64k tmpfs "$WORK/readonly" && mounted+=("$WORK/readonly")
    start=$(date +%s); run run4 --out "$WORK/readonly/out"; wait "$PID"; st=$?; report run4 $st $(( $(date +%s) - start ))
    check "unwritable output folder: nothing runs, exit 2" $([ $st = 2 ] && echo 0 || echo 1) "status $st: $(grep -m1 error: run4.log | cut -c1-160)"
else
    phase "runs 3-4 skipped: mounting a tmpfs needs root (full disk, read-only folder)"
fi

phase "run 5: re-run with room (finishes the rest; corrupt and blocked fail again)"
start=$(date +%s); run run5; wait "$PID"; st=$?; report run5 $st $(( $(date +%s) - start ))
check "every good job complete" $([ "$(count '*.manifest.json')" = "$GOOD" ] && echo 0 || echo 1) "$(count '*.manifest.json')/$GOOD"
check "exit 1 (two clips fail)" $([ $st = 1 ] && echo 0 || echo 1) "status $st"
check "corrupt clip reported" $(grep -q 'FAILED corrupt/' run5.log && echo 0 || echo 1) "$(grep -m1 'FAILED corrupt/' run5.log | cut -c1-160)"
check "blocked output folder reported" $(grep -q 'FAILED blocked/' run5.log && echo 0 || echo 1) "$(grep -m1 'FAILED blocked/' run5.log | cut -c1-160)"
check "finished jobs decode" $([ "$(unreadable)" = 0 ] && echo 0 || echo 1) "$(unreadable) unreadable"
check "no partial files (beyond SIGKILL's)" $([ "$(partials)" -le "$left" ] && echo 0 || echo 1) "$(partials)"

phase "run 6: unblock the folder, run again (only the corrupt clip fails; everything else is skipped)"
rm -f "$OUT/blocked"
start=$(date +%s); run run6; wait "$PID"; st=$?; report run6 $st $(( $(date +%s) - start ))
check "blocked clip's jobs complete" $([ "$(count '*.manifest.json')" = "$((GOOD + 2))" ] && echo 0 || echo 1) "$(count '*.manifest.json')/$((GOOD + 2))"
check "earlier jobs skipped, not redone" $([ "$(events skip run6)" = "$GOOD" ] && echo 0 || echo 1) "$(events skip run6) skipped"
check "only the corrupt clip fails" $([ "$(events FAILED run6)" = 2 ] && echo 0 || echo 1) "$(events FAILED run6) FAILED lines"
check "no edit output without its manifest" $([ "$(orphans)" = 0 ] && echo 0 || echo 1) "$(orphans)"
check "no temporary folders left" $([ "$(find "$OUT" -name '.inversions-*' | wc -l)" = 0 ] && echo 0 || echo 1) "$(find "$OUT" -name '.*' | wc -l) hidden entries"
check "gallery written" $([ -f "$OUT/index.html" ] && echo 0 || echo 1) "$(du -k "$OUT/index.html" 2>/dev/null | cut -f1) KB"

say ""
say "soak: $failures check(s) failed; logs and outputs in $WORK"
[ $failures = 0 ]
