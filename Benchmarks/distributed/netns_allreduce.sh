#!/usr/bin/env bash
# Multi-host all-reduce on one machine: each MPI rank in its own network namespace,
# joined by veth pairs to a bridge, every link rate-shaped with tbf in both directions, and
# Open MPI launching across the namespaces over TCP with `ip netns exec` as its remote
# agent. Times `phantom-benchmark --mode allreduce` (one all-reduce of a configuration's
# gradient, as a data-parallel step makes) and appends one JSON line per run to OUT, for
# scaling_model.py --measured.
#
#   sudo Benchmarks/distributed/netns_allreduce.sh
#
# netem (added delay) is not in every kernel — not in this machine's ("Specified qdisc kind
# is unknown") — so the latency is the veth path's own, measured with ping and recorded as
# latency_ms (half the mean round trip).
#
# Environment: RANKS ("2 3 4"), LINKS ("1gbit 10gbit": tbf rates), CONFIGS ("tiny Weights/medimg-64/unet_config.json"), STEPS (10),
# OUT (Benchmarks/results/distributed/netns_allreduce.jsonl). Needs root, iproute2 and
# a release build (swift build -c release --product phantom-benchmark). Cleans up after
# itself, also when interrupted. `--mca rtc ^hwloc`: the daemons started in namespaces
# crashed at random in hwloc_shmem_topology_write (Open MPI 4.1.4, hwloc 2.9) without it.
# On a 2-core machine the ranks share the cores; the
# all-reduce is bound by the shaped links, not by the CPU.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH="$ROOT/.build/release/phantom-benchmark"
RANKS=${RANKS:-"2 3 4"}
LINKS=${LINKS:-"1gbit 10gbit"}
CONFIGS=${CONFIGS:-"tiny $ROOT/Weights/medimg-64/unet_config.json"}
STEPS=${STEPS:-10}
OUT=${OUT:-"$ROOT/Benchmarks/results/distributed/netns_allreduce.jsonl"}
[ "$(id -u)" = 0 ] || { echo "netns_allreduce: needs root (network namespaces)" >&2; exit 1; }
[ -x "$BENCH" ] || { echo "netns_allreduce: build first: swift build -c release --product phantom-benchmark" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
WORK=$(mktemp -d /tmp/phantom-netns.XXXXXX)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

teardown() {
    for ns in $(ip netns list | awk '/^phns[0-9]/ {print $1}'); do ip netns del "$ns" 2>/dev/null || true; done
    ip link del phbr0 2>/dev/null || true
    sed -i '/# phantom-netns$/d' /etc/hosts
}
cleanup() { teardown; rm -rf "$WORK"; }
trap cleanup EXIT

# setup N RATE: N namespaces phns0.. at 10.77.0.1.., the bridge at 10.77.0.254.
setup() {
    local n=$1 rate=$2 burst=$3
    teardown
    ip link add phbr0 type bridge
    ip addr add 10.77.0.254/24 dev phbr0
    ip link set phbr0 up
    for (( i = 0; i < n; i++ )); do
        ip netns add "phns$i"
        ip link add "phv$i" type veth peer name eth0 netns "phns$i"
        ip link set "phv$i" master phbr0 up
        ip -n "phns$i" link set lo up
        ip -n "phns$i" addr add "10.77.0.$((i + 1))/24" dev eth0
        ip -n "phns$i" link set eth0 up
        # Both directions of the link: out of the namespace, and out of the bridge port into it.
        ip netns exec "phns$i" tc qdisc add dev eth0 root tbf rate "$rate" burst "$burst" latency 100ms
        tc qdisc add dev "phv$i" root tbf rate "$rate" burst "$burst" latency 100ms
        echo "10.77.0.$((i + 1)) phns$i # phantom-netns" >> /etc/hosts
    done
}

# Open MPI's remote agent: "agent HOST COMMAND…" runs COMMAND inside namespace HOST.
cat > "$WORK/agent" <<'AGENT'
#!/bin/sh
host=$1; shift
exec ip netns exec "$host" sh -c "$*"
AGENT
chmod +x "$WORK/agent"

for rate in $LINKS; do
    gbit=$(python3 -c "import re; m=re.fullmatch(r'([0-9.]+)(g|m)bit','$rate'); print(float(m[1]) / (1 if m[2]=='g' else 1000))")
    burst=$(python3 -c "print(max(65536, int($gbit * 1e9 / 8 * 1e-3)))")   # 1 ms of traffic
    for n in $RANKS; do
        setup "$n" "$rate" "$burst"
        delay=$(ip netns exec phns0 ping -q -c 20 -i 0.01 10.77.0.2 2>/dev/null \
            | awk -F/ '/rtt|round-trip/ {printf "%.4f", $5 / 2}')
        delay=${delay:-0}
        : > "$WORK/hosts"
        for (( i = 0; i < n; i++ )); do echo "phns$i slots=1" >> "$WORK/hosts"; done
        for config in $CONFIGS; do
            line=$(mpirun -np "$n" --hostfile "$WORK/hosts" --mca plm_rsh_agent "$WORK/agent" \
                --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
                --mca rtc ^hwloc \
                -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM \
                "$BENCH" --config "$config" --mode allreduce --threads 1 --steps "$STEPS" --warmup 2)
            name=$(basename "$config" .json)
            echo "$line" | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r.update(config='$name', gbit=$gbit, latency_ms=$delay, link='$rate tbf'); print(json.dumps(r, sort_keys=True))" | tee -a "$OUT"
        done
    done
done
