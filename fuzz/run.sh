#!/usr/bin/env bash
# Runs fuzz targets for a bounded time each and records the executions per target.
#   fuzz/run.sh SECONDS [TARGET...]     (default: every target of fuzz/Cargo.toml)
# JOBS=n runs n targets at a time. Logs go to fuzz/logs/, crashes to fuzz/artifacts/<target>/;
# the tally is appended to fuzz/logs/executions.tsv.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: run.sh SECONDS [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
export CARGO_TARGET_DIR=$PWD/target
mkdir -p logs
# Optimised, with debug assertions and overflow checks: stricter than the modules, which wrap.
cargo +nightly fuzz build -O -a

run_one() {
  local target=$1 seconds=$2
  mkdir -p "corpus/$target" "artifacts/$target"
  local log="logs/$target.log" status=ok
  nice -n 10 cargo +nightly fuzz run -O -a "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 -max_len=65536 -timeout=10 \
    -artifact_prefix="artifacts/$target/" >"$log" 2>&1 || status=FOUND
  local runs
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  printf '%s\t%s\t%ss\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$seconds" "${runs:-?}" "$status" \
    | tee -a logs/executions.tsv
}
export -f run_one
printf '%s\n' "${targets[@]}" | xargs -P "${JOBS:-1}" -I{} bash -c 'run_one "$@"' _ {} "$seconds"
