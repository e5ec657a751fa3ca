#!/usr/bin/env python3
"""DP-SGD's cost per image, Phantom against Opacus, measured side by side.

For each config, alternating `--repeats` times, each a fresh process:
  Phantom  `phantom-benchmark --mode trainer` (a normal Trainer step) and `--mode dp-train`
           (the same Trainer's DP-SGD step: batched passes keeping each image's gradient, clipping, noise);
  Opacus   `bench_opacus.py --mode plain` and `--mode dp` on diffusers' UNet2DModel.
Prints a table of median images/s and the DP/normal slowdown of each engine; JSON lines go to
Benchmarks/results/dp_speed.jsonl. Build first: `swift build -c release --product phantom-benchmark`.

  python3 Benchmarks/privacy/dp_speed.py [--configs tiny,small] [--batch 8] [--repeats 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYS = [("phantom", "normal"), ("phantom", "dp"), ("opacus", "normal"), ("opacus", "dp")]


def run(command):
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="tiny,small")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    bench = os.path.join(ROOT, ".build/release/phantom-benchmark")
    peer = os.path.join(ROOT, "Benchmarks/peers/bench_opacus.py")
    common = ["--batch", str(args.batch), "--steps", str(args.steps), "--json"]
    rows = {}
    with open(os.path.join(ROOT, "Benchmarks/results/dp_speed.jsonl"), "a") as log:
        for config in args.configs.split(","):
            commands = {
                ("phantom", "normal"): [bench, "--config", config, "--mode", "trainer"] + common,
                ("phantom", "dp"): [bench, "--config", config, "--mode", "dp-train"] + common,
                ("opacus", "normal"): [args.python, peer, "--config", config, "--mode", "plain"] + common,
                ("opacus", "dp"): [args.python, peer, "--config", config, "--mode", "dp"] + common,
            }
            for repeat in range(args.repeats):
                for key in KEYS:
                    result = run(commands[key])
                    result.update(engine=key[0], variant=key[1], repeat=repeat)
                    log.write(json.dumps(result) + "\n")
                    rows.setdefault((config,) + key, []).append(result["images_per_sec"])
                    print(f"{config} {key[0]} {key[1]} #{repeat}: {result['images_per_sec']:.2f} images/s", file=sys.stderr)
    print("| config | batch | Phantom normal | Phantom DP | Phantom DP cost | Opacus normal | Opacus DP | Opacus DP cost | Phantom DP / Opacus DP |")
    print("|---|---|---|---|---|---|---|---|---|")
    for config in args.configs.split(","):
        m = {key: statistics.median(rows[(config,) + key]) for key in KEYS}
        print(f"| {config} | {args.batch} | {m[KEYS[0]]:.2f} | {m[KEYS[1]]:.2f} | {m[KEYS[0]] / m[KEYS[1]]:.2f}× | "
              f"{m[KEYS[2]]:.2f} | {m[KEYS[3]]:.2f} | {m[KEYS[2]] / m[KEYS[3]]:.2f}× | {m[KEYS[1]] / m[KEYS[3]]:.2f}× |")


if __name__ == "__main__":
    main()
