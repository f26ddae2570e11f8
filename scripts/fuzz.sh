#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (with AddressSanitizer) and runs each for a while on a
# copy of its committed seeds; or re-runs the saved reproducers. docs/reliability.md, "Fuzzing".
#
#   bash scripts/fuzz.sh                      every target, 30 s each
#   bash scripts/fuzz.sh --seconds 300 --targets "FuzzLines FuzzMisc"
#   bash scripts/fuzz.sh --regressions        Fuzz/Regressions/<Target>/* through each binary
#
# Options:
#   --seconds N      how long each target runs (default 30)
#   --targets "A B"  which targets (default: all six)
#   --keep-corpus    merge what the run found into Fuzz/Seeds/<Target> (otherwise the seeds
#                    are never changed: the run works on a copy in a temporary folder)
#   --regressions    run the saved reproducers instead of fuzzing
#   --no-build       use the binaries already built
#
# Exits non-zero if a target crashed, timed out or ran out of memory, and prints where the
# reproducer (and its minimized form) is. Runs one target at a time; needs no terminal.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
fuzz="$root/Fuzz"
all_targets="FuzzLines FuzzRecording FuzzMQTTPayload FuzzHandshake FuzzMisc FuzzStore"

seconds=30
targets=$all_targets
keep_corpus=no
regressions=no
build=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    --targets) targets="$2"; shift 2 ;;
    --targets=*) targets="${1#*=}"; shift ;;
    --keep-corpus) keep_corpus=yes; shift ;;
    --regressions) regressions=yes; shift ;;
    --no-build) build=no; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "fuzz: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz: --seconds takes a whole number" >&2; exit 2 ;; esac

# What the build needs beyond Swift: the main package's system libraries (pkg-config, libudev,
# libmosquitto), which scripts/setup.sh installs.
bash "$root/scripts/setup.sh"

toolchain=$(dirname "$(readlink -f "$(command -v swift)")")
bin_dir="$fuzz/.build/debug"
artifacts="$fuzz/.build/artifacts"
# Swift 6.3's driver passes only the last of several -sanitize= flags to the compiler, so
# `--sanitize=fuzzer --sanitize=address` alone leaves Swift code without coverage
# instrumentation (C code gets it from SwiftPM): the Swift flag is given again, combined.
# lld instead of gold: gold prints hundreds of warnings about ASan's local symbols.
build_flags=(-c debug --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
[ -x "$toolchain/ld.lld" ] && build_flags+=(-Xswiftc -use-ld=lld)

if [ "$build" = yes ]; then
  echo "fuzz: building Fuzz/ (swift build ${build_flags[*]})"
  mkdir -p "$fuzz/.build"
  start=$(date +%s)
  if ! swift build --package-path "$fuzz" "${build_flags[@]}" </dev/null >"$fuzz/.build/fuzz-build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$fuzz/.build/fuzz-build.log" | tail -40 >&2
    echo "fuzz: the build failed (whole log: Fuzz/.build/fuzz-build.log)" >&2
    exit 1
  fi
  echo "fuzz: built in $(( $(date +%s) - start )) s"
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-}"
# Swift's own crash handler (a backtracer that reads the crashed process's memory) trips
# AddressSanitizer and can hang; libFuzzer prints the stack, with file:line, instead.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
[ -x "$toolchain/llvm-symbolizer" ] && export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$toolchain/llvm-symbolizer}"

# --- Saved reproducers ---------------------------------------------------------------------
if [ "$regressions" = yes ]; then
  failed=0
  ran=0
  for target in $targets; do
    [ -d "$fuzz/Regressions/$target" ] || continue
    for input in "$fuzz/Regressions/$target"/*; do
      [ -f "$input" ] || continue
      ran=$((ran + 1))
      log=$(mktemp)
      if "$bin_dir/$target" -runs=1 -rss_limit_mb=2048 -timeout=10 "$input" </dev/null >"$log" 2>&1; then
        echo "PASS  $target ${input#"$root"/}"
      else
        failed=$((failed + 1))
        echo "FAIL  $target ${input#"$root"/}"
        grep -E "Fatal error|invariant broken|ERROR: (AddressSanitizer|libFuzzer)|^    #[0-9]+ .*(Sources|Fuzz)/" "$log" | head -8 | sed 's/^/        /' || true
      fi
      rm -f "$log"
    done
  done
  echo "$((ran - failed)) passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
fi

# --- Fuzzing ---------------------------------------------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
summary="$work/summary"
printf '%-16s %8s %10s %8s %7s %7s %7s  %s\n' target seconds executions exec/s cov ft corpus result >"$summary"
crashed=0
for target in $targets; do
  binary="$bin_dir/$target"
  [ -x "$binary" ] || { echo "fuzz: no binary $binary (build first)" >&2; exit 1; }
  corpus="$work/$target"
  mkdir -p "$corpus" "$artifacts/$target"
  cp "$fuzz/Seeds/$target"/* "$corpus"/
  # Longest input: enough for dozens of lines or a handshake and its frames; longer inputs
  # only slow the debug build down.
  case "$target" in
    FuzzLines|FuzzMisc|FuzzStore) max_len=1024 ;;
    FuzzRecording) max_len=2048 ;;
    *) max_len=4096 ;;
  esac
  dict=()
  [ -f "$fuzz/Dictionaries/$target.dict" ] && dict=(-dict="$fuzz/Dictionaries/$target.dict")
  log="$artifacts/$target/last-run.log"
  echo "fuzz: $target for $seconds s (log: ${log#"$root"/})"
  before=$(ls "$artifacts/$target" | grep -E '^(crash|timeout|oom|leak|slow-unit)-' || true)
  status=0
  started=$(date +%s)
  "$binary" "$corpus" "${dict[@]}" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$artifacts/$target/" -print_final_stats=1 -print_pcs=0 </dev/null >"$log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - started ))
  done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|NEW|REDUCE|pulse)' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(( ${execs:-0} / (elapsed > 0 ? elapsed : 1) ))
  entries=$(ls "$corpus" | wc -l)
  new=$(comm -13 <(echo "$before") <(ls "$artifacts/$target" | grep -E '^(crash|timeout|oom|leak|slow-unit)-' || true) \
    | grep -v '^slow-unit' || true)
  if [ "$status" -ne 0 ] || [ -n "$new" ]; then
    crashed=$((crashed + 1))
    result="FOUND"
    grep -E "Fatal error|invariant broken|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY" "$log" | head -5 | sed 's/^/    /' || true
    for artifact in $new; do
      path="$artifacts/$target/$artifact"
      echo "    reproducer: ${path#"$root"/}"
      if [[ "$artifact" == crash-* || "$artifact" == timeout-* || "$artifact" == oom-* ]]; then
        "$binary" "$path" -minimize_crash=1 -max_total_time=30 -timeout=10 -rss_limit_mb=2048 \
          -exact_artifact_path="$path.min" </dev/null >"$path.min.log" 2>&1 || true
        [ -f "$path.min" ] && echo "    minimized:  ${path#"$root"/}.min"
      fi
      echo "    run again:  Fuzz/.build/debug/$target ${path#"$root"/}"
    done
    result="FOUND $(echo $new | tr ' ' ',')"
  else
    result="ok"
  fi
  if [ "$keep_corpus" = yes ]; then
    "$binary" -merge=1 "$fuzz/Seeds/$target" "$corpus" </dev/null >"$artifacts/$target/merge.log" 2>&1 || true
    echo "    merged into Fuzz/Seeds/$target: $(ls "$fuzz/Seeds/$target" | wc -l) entries"
  fi
  printf '%-16s %8s %10s %8s %7s %7s %7s  %s\n' "$target" "$elapsed" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "$entries" "$result" >>"$summary"
done
echo
cat "$summary"
if [ "$crashed" -gt 0 ]; then
  echo "fuzz: $crashed target(s) found a crash, timeout or out-of-memory; reproducers above" >&2
  exit 1
fi
