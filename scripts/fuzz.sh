#!/usr/bin/env bash
# Coverage-guided fuzzing of RentGuard's decoders of untrusted input (docs/fuzzing.md):
# builds the libFuzzer executable `rentguard-fuzz` with the fuzzer and address sanitizers in
# its own scratch path (.build-fuzz, so the normal build is untouched) and runs each target on
# its committed seed corpus (scripts/fuzz/corpus/<target>).
#
#   scripts/fuzz.sh                    # short run: every target 25 s (CI)
#   scripts/fuzz.sh --seconds 600      # long run: every target 600 s
#   scripts/fuzz.sh --target ingest --seconds 60
#   scripts/fuzz.sh --release          # build with -c release (slower build, faster runs)
#   scripts/fuzz.sh --no-build         # run what .build-fuzz already holds
#
# Targets: ingest (protocol v1 and the device profiles, through IngestDecoder and the
# detection engine), json (JSONParser), centre (GB/T 26875.3 frames), config (the YAML loader).
# Inputs the fuzzer finds interesting go to .build-fuzz/corpus/<target> (kept between runs, not
# committed); a crash leaves its input in .build-fuzz/artifacts/<target>/ and the script exits 1.
# Replay a crash without the sanitizers: swift build --product rentguard-fuzz, then
#   .build/debug/rentguard-fuzz <target> <file>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=25
targets=(ingest json centre config)
configuration=debug
build=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --target) targets=("$2"); shift 2 ;;
        --release) configuration=release; shift ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "fuzz.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
done

scratch=.build-fuzz
if [[ $build == 1 ]]; then
    start=$(date +%s)
    swift build -c "$configuration" --scratch-path "$scratch" --product rentguard-fuzz \
        --sanitize=fuzzer --sanitize=address -Xswiftc -DRENTGUARD_FUZZ \
        -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
    echo "fuzz.sh: build ($configuration) took $(( $(date +%s) - start )) s"
fi
binary="$scratch/$configuration/rentguard-fuzz"
[[ -x $binary ]] || { echo "fuzz.sh: $binary not built (run without --no-build)" >&2; exit 2; }

max_len() {
    case "$1" in
        config) echo 2048 ;;
        *) echo 4096 ;;
    esac
}

# A crash must leave its input, not hang in Swift's backtracer.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
status=0
summary=()
for t in "${targets[@]}"; do
    work="$scratch/corpus/$t"
    artifacts="$scratch/artifacts/$t"
    mkdir -p "$work" "$artifacts"
    log="$scratch/fuzz-$t.log"
    echo "fuzz.sh: $t for $seconds s (log $log)"
    set +e
    RENTGUARD_FUZZ_TARGET="$t" "$binary" "$work" "scripts/fuzz/corpus/$t" \
        -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1 || true)
    cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1 | cut -d' ' -f2)
    corpus=$(find "$work" -type f | wc -l)
    line="$t: ${runs:-?} executions (${rate:-?}/s), coverage ${cov:-?} edges, working corpus $corpus inputs"
    # Swift 6.3's -sanitize=fuzzer alone leaves Swift code of a debug build without coverage
    # counters (hence -sanitize-coverage above): a run that finds no coverage is a failure.
    if grep -q 'Is the code instrumented for coverage' "$log"; then
        line="$line: NO COVERAGE (the build is not instrumented)"
        status=1
    fi
    if [[ $rc != 0 ]]; then
        line="$line: FAILED (exit $rc), input in $artifacts/"
        (grep -E 'Fatal error|Precondition failed|ERROR|SUMMARY' "$log" || true) | head -5 >&2
        status=1
    fi
    summary+=("$line")
done
printf 'fuzz.sh: %s\n' "${summary[@]}"
exit $status
