#!/usr/bin/env python3
"""Predicted data-parallel scaling of `phantom train` (stdlib only).

    python3 Benchmarks/distributed/scaling_model.py [--measured FILE.jsonl]

The model, per optimizer step of a job of N nodes (one MPI rank per node, every core of
a node training its share):

    step time  = compute / N_share + all-reduce                 (no overlap: Phantom reduces
    compute    = B_node / (r2 * c / 2)                            after the backward pass)
    all-reduce = 2 (N - 1) / N * S / bandwidth + 2 (N - 1) * latency      (ring)
    efficiency = compute / step time

with B_node the images per node per step (weak scaling: the global batch grows with N),
r2 the measured images/s of one 2-core process, c the cores per node (compute assumed to
scale linearly with cores, which flatters large nodes), S the gradient bytes (4 per
parameter), and latency the one-way link latency per ring hop.

With --measured, compares the all-reduce term with `phantom-benchmark --mode allreduce`
lines (as netns_allreduce.sh writes them: processes, bytes, median_s, plus the link's
"gbit" and "latency_ms") and prints a table of predicted against measured times.
"""
import json
import sys

# Measured on this 2-core machine: images/s of one process with 2 threads (Trainer step,
# phantom-benchmark --mode trainer, quiet machine), and parameter counts.
CONFIGS = {
    "tiny (32×32, 1.11 M)": {"rate2": 49.0, "parameters": 1.11e6},
    "shipped medimg-64 (64×64, 4.33 M)": {"rate2": 9.0, "parameters": 4.33e6},
    "small (64×64, 17.2 M)": {"rate2": 5.0, "parameters": 17.2e6},
}
IMAGES_PER_NODE = 32         # B_node: images per node per step
NODES = [2, 4, 8, 16, 32, 64]
CORES = [2, 16, 64]
LINKS_GBIT = [1, 10, 100]
LATENCY_S = 0.1e-3


def allreduce_seconds(ranks, size_bytes, gbit, latency_s=LATENCY_S):
    if ranks == 1:
        return 0.0
    return 2 * (ranks - 1) / ranks * size_bytes * 8 / (gbit * 1e9) + 2 * (ranks - 1) * latency_s


def efficiency(config, nodes, cores, gbit):
    compute = IMAGES_PER_NODE / (config["rate2"] * cores / 2)
    reduce = allreduce_seconds(nodes, 4 * config["parameters"], gbit)
    return compute / (compute + reduce)


def tables():
    out = []
    for name, config in CONFIGS.items():
        out.append(f"\n**{name}** — scaling efficiency (fraction of N× one node's images/s), "
                   f"{IMAGES_PER_NODE} images per node per step, ring all-reduce of "
                   f"{4 * config['parameters'] / 1e6:.1f} MB, {LATENCY_S * 1e3:g} ms per hop\n")
        header = "| cores/node | link | " + " | ".join(f"{n} nodes" for n in NODES) + " |"
        out.append(header)
        out.append("|" + "---|" * (len(NODES) + 2))
        for cores in CORES:
            for gbit in LINKS_GBIT:
                cells = " | ".join(f"{efficiency(config, n, cores, gbit):.2f}" for n in NODES)
                out.append(f"| {cores} | {gbit} Gbit/s | {cells} |")
    return "\n".join(out)


def compare(path):
    rows = ["| ranks | link | gradient | predicted all-reduce | measured (median) | measured / predicted |",
            "|---|---|---|---|---|---|"]
    for line in open(path):
        record = json.loads(line)
        predicted = allreduce_seconds(record["processes"], record["bytes"], record["gbit"], record["latency_ms"] / 1e3)
        measured = record["median_s"]
        rows.append(f"| {record['processes']} | {record['gbit']:g} Gbit/s, {record['latency_ms']:g} ms | "
                    f"{record['bytes'] / 1e6:.1f} MB | {predicted * 1e3:.1f} ms | {measured * 1e3:.1f} ms | "
                    f"{measured / predicted:.2f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(tables())
    if "--measured" in sys.argv:
        print()
        print(compare(sys.argv[sys.argv.index("--measured") + 1]))
