#!/usr/bin/env bash
# Long-run memory check: trains a tiny model for STEPS steps (default 1000) in a
# release build on one thread and samples the process's VmRSS from /proc while it runs.
# A leak in the hot loop shows as RSS that keeps growing after the first steps.
#
#   Tests/Reliability/memory_run.sh            # builds with --scratch-path .build-rel
#
# Environment: STEPS (1000), SCRATCH_PATH (.build-rel), KEEP_WORK=1 keeps the run folder.
# Prints VmRSS at about step 50, every 100 steps, and at the end, then /usr/bin/time's peak.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
STEPS=${STEPS:-1000}
SCRATCH_PATH=${SCRATCH_PATH:-.build-rel}
swift build -c release --scratch-path "$SCRATCH_PATH" --product phantom 2>&1 | tail -1
BIN="$(swift build -c release --scratch-path "$SCRATCH_PATH" --show-bin-path)/phantom"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/phantom-memory.XXXXXX")
PID=""
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill "$PID" 2>/dev/null || true; fi
    if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# 32 gray 16×16 PNGs in two classes, and a tiny U-Net config.
python3 "$ROOT/Tests/Reliability/tiny_run_inputs.py" "$WORK" 16

/usr/bin/time -v -o "$WORK/time.txt" "$BIN" train "$WORK/data" --out "$WORK/run" --unet-config "$WORK/unet.json" \
    --batch-size 8 --steps "$STEPS" --warmup-steps 50 --checkpoint-every 100 --sample-every 250 --log-every 10 \
    --threads 1 --seed 1 >"$WORK/train.log" 2>&1 &
TIME_PID=$!
for (( i = 0; i < 100; i++ )); do
    PID=$(pgrep -P "$TIME_PID" -f "phantom train" || true); [ -n "$PID" ] && break; sleep 0.05
done
[ -n "$PID" ] || { echo "memory_run: phantom did not start" >&2; exit 1; }

# Sample (step, VmRSS) every 0.1 s; the step is the last one in metrics.jsonl (every 10 steps).
: >"$WORK/rss.tsv"
while kill -0 "$PID" 2>/dev/null; do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status" 2>/dev/null || true)
    step=$(tail -n1 "$WORK/run/metrics.jsonl" 2>/dev/null | sed -n 's/.*"step":\([0-9]*\).*/\1/p' || true)
    [ -n "$rss" ] && printf '%s\t%s\n' "${step:-0}" "$rss" >>"$WORK/rss.tsv"
    sleep 0.1
done
wait "$TIME_PID" || { cat "$WORK/train.log" >&2; exit 1; }
PID=""

python3 - "$WORK/rss.tsv" "$STEPS" <<'EOF'
import sys
rows = [tuple(map(int, line.split("\t"))) for line in open(sys.argv[1]) if line.strip()]
steps = int(sys.argv[2])
by_step = {}
for step, rss in rows:
    by_step.setdefault(step, []).append(rss)
def at(target):
    step = min(by_step, key=lambda s: abs(s - target))
    return step, max(by_step[step])
print("memory_run: VmRSS by step (max of the samples at that logged step):")
for target in [50] + list(range(100, steps + 1, 100)):
    step, rss = at(target)
    print(f"  step {step:5d}: {rss / 1024:7.1f} MB")
first = at(50)[1]
last = max(rss for step, rss in rows if step == max(by_step))
print(f"memory_run: step ~50 {first / 1024:.1f} MB, end {last / 1024:.1f} MB, growth {(last - first) / 1024:+.1f} MB over {len(rows)} samples")
EOF
grep -E "Maximum resident|Elapsed|Exit status" "$WORK/time.txt" | sed 's/^\s*/memory_run: /'
tail -n1 "$WORK/train.log" | sed 's/^/memory_run: /'
