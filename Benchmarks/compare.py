#!/usr/bin/env python3
"""Phantom against PyTorch + diffusers on this machine, measured side by side.

For every row (configuration, mode, batch) it runs, `--repeats` times and in
alternation: Phantom's release benchmark and every peer setup a user would try — PyTorch
stock, with glibc's malloc tuned (which helps PyTorch on large tensors), channels_last,
bf16 autocast + channels_last (on CPUs with bf16 instructions: elsewhere PyTorch emulates
it several times slower than fp32), optionally torch.compile (`--compile`), and for sampling
the U-Net exported to ONNX and run by ONNX Runtime and by OpenVINO at f32 and bf16
(`peers/bench_diffusers.py --setup`). Each measurement is a fresh process. It prints
min/median/max per engine and the ratio of Phantom's median to the best peer setup's
median, writes Benchmarks/results/latest.json and Benchmarks/results/latest.md, and
measures the sgemm ceiling in the same run.

    python3 Benchmarks/compare.py [--rows quick|full] [--repeats 3] [--compile] [--python /tmp/phantom-venv/bin/python]

The ONNX setups need `onnxruntime`, `openvino` and `onnx` in the venv (PyPI).
"""
import argparse, datetime, json, os, platform, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PHANTOM = os.path.join(ROOT, ".build", "release", "phantom-benchmark")
PEER = os.path.join(HERE, "peers", "bench_diffusers.py")
TUNED = {"MALLOC_MMAP_THRESHOLD_": "4294967296", "MALLOC_TRIM_THRESHOLD_": "68719476736"}

FULL = [("tiny", "train", 8), ("tiny", "train", 32), ("small", "train", 8), ("small", "train", 32),
        ("cifar", "train", 8), ("cifar", "train", 32),
        ("tiny", "sample", 16), ("small", "sample", 16), ("cifar", "sample", 16)]
QUICK = [("tiny", "train", 8), ("small", "train", 8), ("tiny", "sample", 16), ("small", "sample", 16)]
TARGETS = {("tiny", "train", 8): 1.2, ("small", "train", 8): 1.2, ("tiny", "sample", 16): 1.2,
           ("small", "sample", 16): 1.2}


def run(command, env=None):
    merged = dict(os.environ, **(env or {}))
    output = subprocess.run(command, capture_output=True, text=True, env=merged, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def cpu_has_bf16():
    """Whether the CPU has bf16 instructions (AVX512-BF16 or AMX); without them PyTorch
    emulates bf16 autocast at a fraction of fp32's speed (7× slower on tiny train here)."""
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def peer_setups(mode, compile_too):
    """The peer setups measured for `mode`: (name, --setup, extra environment). PyTorch's
    bf16 autocast is left out on a CPU without bf16 instructions (no user would pick it)."""
    setups = [("stock", "fp32", None), ("tuned", "fp32", TUNED), ("channels_last", "channels_last", None)]
    if cpu_has_bf16():
        setups.append(("bf16", "bf16", None))
    if compile_too:
        setups.append(("compile", "compile", None))
    if mode == "sample":
        setups += [("onnxruntime", "onnxruntime", None), ("openvino_f32", "openvino-fp32", None),
                   ("openvino_bf16", "openvino-bf16", None)]
    return setups


def steps_for(config, batch):
    heavy = config != "tiny"
    return (3, 1) if heavy and batch >= 16 else (5, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", choices=["quick", "full"], default="full")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--python", default="/tmp/phantom-venv/bin/python")
    parser.add_argument("--compile", action="store_true", help="also measure torch.compile (minutes of compiling per run)")
    args = parser.parse_args()
    if not os.path.exists(PHANTOM):
        sys.exit("build first: swift build -c release --product phantom-benchmark")

    if not cpu_has_bf16():
        print("no bf16 instructions on this CPU: PyTorch's bf16 autocast setup is left out", flush=True)
    ceiling = run([PHANTOM, "--config", "sgemm", "--threads", str(args.threads)])["gflops"]
    print(f"sgemm ceiling (2048², one single-threaded product per worker): {ceiling:.0f} GFLOP/s", flush=True)
    rows = []
    for config, mode, batch in (FULL if args.rows == "full" else QUICK):
        steps, warmup = steps_for(config, batch)
        common = ["--config", config, "--mode", mode, "--batch", str(batch), "--steps", str(steps),
                  "--warmup", str(warmup), "--threads", str(args.threads), "--json"]
        setups = peer_setups(mode, args.compile)
        results = {"phantom": []} | {name: [] for name, _, _ in setups}
        for _ in range(args.repeats):
            results["phantom"].append(run([PHANTOM] + common))
            for name, setup, env in setups:
                results[name].append(run([args.python, PEER] + common + ["--setup", setup], env))
        key = "images_per_sec" if mode == "train" else "evals_per_sec"
        summary = {"config": config, "mode": mode, "batch": batch}
        for engine, runs in results.items():
            rates = sorted(r[key] for r in runs)
            summary[engine] = {"min": rates[0], "median": statistics.median(rates), "max": rates[-1],
                               "gflops": statistics.median(r["gflops"] or 0 for r in runs),
                               "peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in runs)}
            summary[engine]["precision"] = runs[-1].get("precision", "f32")
        summary["profile_s"] = results["phantom"][-1].get("profile_s", {})
        peers = [name for name, _, _ in setups]
        summary["peers"] = peers
        summary["best_peer"] = max(peers, key=lambda name: summary[name]["median"])
        best = summary[summary["best_peer"]]["median"]
        summary["ratio"] = summary["phantom"]["median"] / best
        summary["rss_ratio"] = summary["phantom"]["peak_rss_mib"] / min(summary[name]["peak_rss_mib"] for name in peers)
        summary["target"] = TARGETS.get((config, mode, batch))
        rows.append(summary)
        print(f"{config:5} {mode:6} b{batch:<3} phantom {summary['phantom']['median']:8.2f}  "
              + "  ".join(f"{name} {summary[name]['median']:.2f}" for name in peers)
              + f"  ratio to {summary['best_peer']} {summary['ratio']:.2f}  RSS ratio {summary['rss_ratio']:.2f}", flush=True)

    versions = results["stock"][-1]
    report = {"date": datetime.date.today().isoformat(), "machine": platform.processor() or platform.machine(),
              "cpus": os.cpu_count(), "threads": args.threads, "sgemm_gflops": ceiling,
              "torch": versions.get("torch"), "diffusers": versions.get("diffusers"), "repeats": args.repeats,
              "rows": rows}
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "latest.json"), "w") as handle:
        json.dump(report, handle, indent=1)
    lines = ["| config | mode | batch | Phantom min / median / max | peer setups: median (min–max) | best peer | ratio | target | Phantom GFLOP/s | RSS Phantom / smallest peer (MiB) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        p = r["phantom"]
        target = "—" if r["target"] is None else (f"≥ {r['target']}× " + ("met" if r["ratio"] >= r["target"] else "**not met**"))
        peers = "; ".join(f"{name}{' (ran ' + r[name]['precision'] + ')' if name.endswith('bf16') else ''} "
                          f"{r[name]['median']:.2f} ({r[name]['min']:.2f}–{r[name]['max']:.2f})" for name in r["peers"])
        lines.append(f"| {r['config']} | {r['mode']} | {r['batch']} | {p['min']:.2f} / {p['median']:.2f} / {p['max']:.2f} | "
                     f"{peers} | {r['best_peer']} | {r['ratio']:.2f}× | {target} | "
                     f"{p['gflops']:.0f} | {p['peak_rss_mib']:.0f} / {min(r[name]['peak_rss_mib'] for name in r['peers']):.0f} |")
    table = "\n".join(lines)
    with open(os.path.join(HERE, "results", "latest.md"), "w") as handle:
        handle.write(f"{report['date']}, {args.threads} threads, sgemm ceiling {ceiling:.0f} GFLOP/s, "
                     f"torch {report['torch']}, diffusers {report['diffusers']}, {args.repeats} repeats\n\n{table}\n")
    print("\n" + table)


if __name__ == "__main__":
    main()
