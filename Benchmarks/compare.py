#!/usr/bin/env python3
"""Phantom against PyTorch + diffusers on this machine, measured side by side.

For every row (configuration, mode, batch) it runs, `--repeats` times and in
alternation: Phantom's release benchmark, the PyTorch peer stock, and the peer with
glibc's malloc tuned (which helps PyTorch on large tensors). Each measurement is a
fresh process. It prints min/median/max per engine and the ratio of Phantom's median
to the better of the two peer medians, writes Benchmarks/results/latest.json and
Benchmarks/results/latest.md, and measures the sgemm ceiling in the same run.

    python3 Benchmarks/compare.py [--rows quick|full] [--repeats 3] [--python /tmp/phantom-venv/bin/python]
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
TARGETS = {("tiny", "train", 8): 1.5, ("small", "train", 8): 1.2, ("tiny", "sample", 16): 1.5,
           ("small", "sample", 16): 1.2}


def run(command, env=None):
    merged = dict(os.environ, **(env or {}))
    output = subprocess.run(command, capture_output=True, text=True, env=merged, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def steps_for(config, batch):
    heavy = config != "tiny"
    return (3, 1) if heavy and batch >= 16 else (5, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", choices=["quick", "full"], default="full")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--python", default="/tmp/phantom-venv/bin/python")
    args = parser.parse_args()
    if not os.path.exists(PHANTOM):
        sys.exit("build first: swift build -c release --product phantom-benchmark")

    ceiling = run([PHANTOM, "--config", "sgemm", "--threads", str(args.threads)])["gflops"]
    print(f"sgemm ceiling (2048², one single-threaded product per worker): {ceiling:.0f} GFLOP/s", flush=True)
    rows = []
    for config, mode, batch in (FULL if args.rows == "full" else QUICK):
        steps, warmup = steps_for(config, batch)
        common = ["--config", config, "--mode", mode, "--batch", str(batch), "--steps", str(steps),
                  "--warmup", str(warmup), "--threads", str(args.threads), "--json"]
        results = {"phantom": [], "stock": [], "tuned": []}
        for _ in range(args.repeats):
            results["phantom"].append(run([PHANTOM] + common))
            results["stock"].append(run([args.python, PEER] + common))
            results["tuned"].append(run([args.python, PEER] + common, TUNED))
        key = "images_per_sec" if mode == "train" else "evals_per_sec"
        summary = {"config": config, "mode": mode, "batch": batch}
        for engine, runs in results.items():
            rates = sorted(r[key] for r in runs)
            summary[engine] = {"min": rates[0], "median": statistics.median(rates), "max": rates[-1],
                               "gflops": statistics.median(r["gflops"] or 0 for r in runs),
                               "peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in runs)}
        summary["profile_s"] = results["phantom"][-1].get("profile_s", {})
        best = max(summary["stock"]["median"], summary["tuned"]["median"])
        summary["ratio"] = summary["phantom"]["median"] / best
        summary["rss_ratio"] = summary["phantom"]["peak_rss_mib"] / min(summary["stock"]["peak_rss_mib"],
                                                                         summary["tuned"]["peak_rss_mib"])
        summary["target"] = TARGETS.get((config, mode, batch))
        rows.append(summary)
        print(f"{config:5} {mode:6} b{batch:<3} phantom {summary['phantom']['median']:8.2f} "
              f"peer {best:8.2f}  ratio {summary['ratio']:.2f}  RSS ratio {summary['rss_ratio']:.2f}", flush=True)

    versions = results["stock"][-1]
    report = {"date": datetime.date.today().isoformat(), "machine": platform.processor() or platform.machine(),
              "cpus": os.cpu_count(), "threads": args.threads, "sgemm_gflops": ceiling,
              "torch": versions.get("torch"), "diffusers": versions.get("diffusers"), "repeats": args.repeats,
              "rows": rows}
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "latest.json"), "w") as handle:
        json.dump(report, handle, indent=1)
    lines = ["| config | mode | batch | Phantom min / median / max | peer stock median | peer tuned median | ratio | target | Phantom GFLOP/s | RSS Phantom / peer (MiB) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        p = r["phantom"]
        target = "—" if r["target"] is None else (f"≥ {r['target']}× " + ("met" if r["ratio"] >= r["target"] else "**not met**"))
        lines.append(f"| {r['config']} | {r['mode']} | {r['batch']} | {p['min']:.2f} / {p['median']:.2f} / {p['max']:.2f} | "
                     f"{r['stock']['median']:.2f} | {r['tuned']['median']:.2f} | {r['ratio']:.2f}× | {target} | "
                     f"{p['gflops']:.0f} | {p['peak_rss_mib']:.0f} / {min(r['stock']['peak_rss_mib'], r['tuned']['peak_rss_mib']):.0f} |")
    table = "\n".join(lines)
    with open(os.path.join(HERE, "results", "latest.md"), "w") as handle:
        handle.write(f"{report['date']}, {args.threads} threads, sgemm ceiling {ceiling:.0f} GFLOP/s, "
                     f"torch {report['torch']}, diffusers {report['diffusers']}, {args.repeats} repeats\n\n{table}\n")
    print("\n" + table)


if __name__ == "__main__":
    main()
