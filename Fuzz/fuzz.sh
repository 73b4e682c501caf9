#!/usr/bin/env bash
# Builds ctxedit-fuzz with libFuzzer + AddressSanitizer and runs each target for a bounded time.
#
#   Fuzz/fuzz.sh [TARGET...]          TARGET: safetensors config tokenizer video pipeline (default: all)
#   FUZZ_SECONDS=60                   time per target (default 60)
#   FUZZ_JOBS=1                       parallel libFuzzer workers per target (-fork); keep 1 on a shared machine
#   FUZZ_ARGS="-seed=1"               extra libFuzzer flags
#
# Working corpora grow in .build-fuzz/corpus/TARGET (seeded from Fuzz/corpus/TARGET, which stays small and
# committed); crashes and unclean errors are saved in .build-fuzz/artifacts/TARGET/. To keep one: minimize it
# (CTXEDIT_FUZZ_TARGET=T .build-fuzz/release/ctxedit-fuzz -minimize_crash=1 -runs=2000 FILE), copy it to
# Fuzz/regressions/TARGET/, fix the bug, and `swift test --filter FuzzRegressionTests` replays it from then on.
# A summary (executions, exec/s, new coverage, crashes per target) is printed and kept in .build-fuzz/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=.build-fuzz
SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-1}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(safetensors config tokenizer video pipeline)

# -sanitize=fuzzer instruments every Swift module for coverage (edges, comparisons) and links libFuzzer;
# -DCTXEDIT_LIBFUZZER makes ctxedit-fuzz's main call LLVMFuzzerRunDriver (declared with @_extern(c), hence the
# Extern feature) instead of replaying files.
# (Retried: on a shared checkout a file edited during the build stops it.)
for attempt in 1 2 3; do
    ${SWIFT:-swift} build -c release --scratch-path "$SCRATCH" --product ctxedit-fuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DCTXEDIT_LIBFUZZER -Xswiftc -enable-experimental-feature -Xswiftc Extern \
        && break
    [ $attempt = 3 ] && exit 2
    sleep 10
done
BIN="$SCRATCH/release/ctxedit-fuzz"

max_len() {
    case "$1" in
        tokenizer) echo 1024 ;;
        config|pipeline) echo 4096 ;;
        safetensors) echo 16384 ;;
        video) echo 65536 ;;
    esac
}

summary="$SCRATCH/summary.txt"
printf '%-12s %8s %10s %8s %6s %8s %s\n' target seconds execs exec/s cov corpus crashes > "$summary"
status=0
for t in "${TARGETS[@]}"; do
    corpus="$SCRATCH/corpus/$t"; artifacts="$SCRATCH/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    dict=(); [ -f "Fuzz/dict/$t.dict" ] && dict=(-dict="Fuzz/dict/$t.dict")
    fork=(); [ "$JOBS" -gt 1 ] && fork=(-fork="$JOBS" -ignore_crashes=1)
    log="$SCRATCH/$t.log"
    # The target's scratch files go here (libFuzzer ends with _Exit, so the harness cannot remove them itself).
    tmp="$SCRATCH/tmp/$t"; rm -rf "$tmp"; mkdir -p "$tmp"
    before=$(ls "$artifacts" | wc -l)
    echo "== $t: ${SECONDS_EACH}s"
    start=$(date +%s)
    set +e
    # detect_leaks=0: the Swift runtime's metadata caches look like leaks at exit. SWIFT_BACKTRACE=enable=no: the
    # Swift backtracer reads memory ASan flags, hiding the real trap; libFuzzer prints the stack instead.
    TMPDIR="$PWD/$tmp" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" CTXEDIT_FUZZ_TARGET="$t" "$BIN" "$corpus" "Fuzz/corpus/$t" "${dict[@]}" "${fork[@]}" \
        -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$t")" -timeout=20 -rss_limit_mb=3072 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 ${FUZZ_ARGS:-} > "$log" 2>&1
    rc=$?
    set -e
    elapsed=$(( $(date +%s) - start ))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    crashes=$(( $(ls "$artifacts" | wc -l) - before ))
    printf '%-12s %8s %10s %8s %6s %8s %s\n' "$t" "$elapsed" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "$(ls "$corpus" | wc -l)" "$crashes" | tee -a "$summary"
    if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        status=1
        echo "   $t stopped with status $rc; see $log and $artifacts/" >&2
        grep -m3 -E 'ERROR|Fatal error|ctxedit-fuzz \[' "$log" >&2 || true
    fi
done
echo; cat "$summary"
exit $status
