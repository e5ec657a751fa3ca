#!/usr/bin/env bash
# Data-parallel throughput on one machine: `mpirun -np 2 phantom-benchmark --mode trainer
# --threads 1` (two processes, one core each, gradients all-reduced every step) against one
# process with `--threads 2`, same global batch, alternating, REPEATS times each.
# Appends JSON lines (phantom-benchmark's, plus "setup") to OUT.
#
#   Benchmarks/distributed/ranks_vs_threads.sh
#
# Environment: CONFIGS ("tiny:16 Weights/medimg-64/unet_config.json:16": config and batch),
# REPEATS (3), STEPS (8), OUT (Benchmarks/results/distributed/ranks_vs_threads.jsonl).
# Needs a release build and a quiet machine.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH="$ROOT/.build/release/phantom-benchmark"
CONFIGS=${CONFIGS:-"tiny:16 $ROOT/Weights/medimg-64/unet_config.json:16"}
REPEATS=${REPEATS:-3}
STEPS=${STEPS:-8}
OUT=${OUT:-"$ROOT/Benchmarks/results/distributed/ranks_vs_threads.jsonl"}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
mkdir -p "$(dirname "$OUT")"
tag() { python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r['setup']='$1'; r['config']='$2'; print(json.dumps(r, sort_keys=True))"; }
for (( r = 1; r <= REPEATS; r++ )); do
    for entry in $CONFIGS; do
        config=${entry%:*}; batch=${entry##*:}; name=$(basename "$config" .json)
        "$BENCH" --config "$config" --mode trainer --batch "$batch" --threads 2 --steps "$STEPS" --json \
            | tag "1 process x 2 threads" "$name" | tee -a "$OUT"
        mpirun -np 2 --bind-to core "$BENCH" --config "$config" --mode trainer --batch "$batch" --threads 1 --steps "$STEPS" --json \
            | tag "2 processes x 1 thread (MPI)" "$name" | tee -a "$OUT"
    done
done
