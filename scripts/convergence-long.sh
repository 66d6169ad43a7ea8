#!/usr/bin/env bash
# The long run of the model-based sync test (docs/sync.md "Convergence"): 10 000 cases, seeds 10000–19999 by
# default, in two lanes side by side (each lane has its own server and SecantusDB, so two cores are both used).
# Each lane runs its seeds in chunks of 400 cases, each chunk on a fresh server and database: one database that
# keeps every earlier batch's users makes each batch slower than the one before (42 s per batch of 40 on a fresh
# one, 85 s after 700 cases).
#
#   scripts/convergence-long.sh                 # 10 000 cases
#   FIRST=10000 CASES=800 scripts/convergence-long.sh
#
# Logs go to target/convergence/<first seed of the chunk>.log; the summary at the end lists every seed that did
# not converge and every case in which a step the server answered failed. Replay one seed with
# `CONVERGENCE_SEED=<seed> CONVERGENCE_CASES=1 cargo test -p compass-backend --test api sync_convergence -- --nocapture`.
set -euo pipefail
cd "$(dirname "$0")/.."

first=${FIRST:-10000}
cases=${CASES:-10000}
chunk=${CHUNK:-400}
out=${CARGO_TARGET_DIR:-target}/convergence
mkdir -p "$out"
rm -f "$out"/*.log

cargo test --release -p compass-backend --test api --no-run

# One lane: seeds $1..=$2, in chunks.
lane() {
  local seed=$1 last=$2 n
  while [ "$seed" -le "$last" ]; do
    n=$chunk
    if [ $((seed + n - 1)) -gt "$last" ]; then n=$((last - seed + 1)); fi
    # Retryable writes off: SecantusDB's bookkeeping of them was 45 % of its time (the test injects no
    # database faults, so the driver never retries a write anyway).
    TEST_LOG=compass_backend=warn CONVERGENCE_RETRY_WRITES=0 CONVERGENCE_KEEP_GOING=1 \
      CONVERGENCE_SEED=$seed CONVERGENCE_CASES=$n CONVERGENCE_PARALLEL=40 \
      cargo test -q --release -p compass-backend --test api sync_convergence -- --nocapture \
      >"$out/$seed.log" 2>&1 || true
    seed=$((seed + n))
  done
}

half=$((cases / 2))
started=$(date +%s)
lane "$first" $((first + half - 1)) &
lane $((first + half)) $((first + cases - 1)) &
wait

printf 'convergence: %s cases from seed %s in %s s\n' "$cases" "$first" $(($(date +%s) - started))
grep -h 'cases, .* diverged' "$out"/*.log || true
echo 'did not converge:'
grep -h 'did not converge' "$out"/*.log || echo '  none'
echo 'converged, but a step the server answered failed:'
failed=$(grep -h 'converged, but a step failed' "$out"/*.log || true)
if [ -n "$failed" ]; then cut -c1-200 <<<"$failed"; else echo '  none'; fi
