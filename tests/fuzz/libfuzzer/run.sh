#!/usr/bin/env bash
# run.sh HARNESS SEEDS SECONDS [ARTIFACTS]: run one libFuzzer harness for SECONDS over the
# committed seed corpus SEEDS (read, never written: what the run finds goes to a scratch
# directory, removed afterwards). Fails on any crash, leak, sanitizer report, timeout (10 s
# per input) or memory over 2 GB; the input that did it is kept in ARTIFACTS (default: the
# current directory) and its path printed, ready to add to SEEDS as a regression seed
# (crash-<what>). Further arguments after ARTIFACTS go to libFuzzer as they are.
set -euo pipefail
if [ "$#" -lt 3 ]; then
    echo "usage: $0 HARNESS SEEDS SECONDS [ARTIFACTS [LIBFUZZER-OPTIONS...]]" >&2
    exit 2
fi
harness=$1 seeds=$2 seconds=$3 artifacts=${4:-.}
shift $(( $# < 4 ? $# : 4 ))
mkdir -p "$artifacts"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/gl-libfuzzer-XXXXXX")
trap 'rm -rf "$scratch" "$scratch.log"' EXIT
set +e
"$harness" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$(basename "$harness")-" "$@" "$scratch" "$seeds" 2>&1 |
    tee "$scratch.log" | grep -E '^(INFO: seed corpus|#[0-9]+ +DONE|Done|stat::number_of_executed_units|stat::new_units_added|==[0-9]+==|SUMMARY|.*runtime error|Test unit written|artifact_prefix)'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
    echo "--- $(basename "$harness") failed (exit $rc); its full output:" >&2
    cat "$scratch.log" >&2
fi
rm -f "$scratch.log"
exit "$rc"
