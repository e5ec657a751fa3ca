#!/usr/bin/env bash
# Kill test: `phantom train` survives SIGKILL at random moments and resumes exactly,
# and write failures of the run folder are reported clearly.
#
#   Tests/Reliability/kill_resume_test.sh
#
# 1. Builds `phantom` (debug; SCRATCH_PATH=dir uses `--scratch-path dir`).
# 2. Writes a tiny dataset (2 classes × 4 gray 16×16 PNGs) and a tiny U-Net config.
# 3. Starts `phantom train --checkpoint-every 1 --resume` KILLS times (default 15) and
#    SIGKILLs it after a random 0.05–1.5 s (many kills land inside a checkpoint write).
#    After each kill every checkpoints/step-N folder must be complete (check_run.py),
#    the newest step must not go back, and the next launch must print
#    "resuming … at step N" with N the newest checkpoint.
# 4. Runs to the end; the final checkpoint, model/ and metrics.jsonl must be whole, and
#    the weights must equal those of an uninterrupted run with the same settings.
# 5. Write failures: --out inside a regular file, checkpoints/ being a file, a read-only
#    parent (skipped as root, where permissions do not stop writes), and the checkpoint
#    folder turning into a file mid-run must each end the run with a non-zero status and
#    an error naming the path.
#
# Environment: KILLS (default 15), KILL_SEED (the random sleeps; printed), KEEP_WORK=1
# keeps the scratch folder, SCRATCH_PATH (swift build --scratch-path).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
KILLS=${KILLS:-15}
KILL_SEED=${KILL_SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$KILL_SEED
STEPS=${STEPS:-150}

fail() { echo "kill_resume_test: FAIL: $*" >&2; exit 1; }
note() { echo "kill_resume_test: $*"; }

build_args=()
[ -n "${SCRATCH_PATH:-}" ] && build_args=(--scratch-path "$SCRATCH_PATH")
swift build "${build_args[@]}" --product phantom || fail "swift build --product phantom failed"
BIN="$(swift build "${build_args[@]}" --show-bin-path)/phantom"
[ -x "$BIN" ] || fail "no phantom binary at $BIN"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/phantom-kill.XXXXXX")
CHILD=""
cleanup() {
    if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then kill -KILL "$CHILD" 2>/dev/null || true; fi
    if [ "${KEEP_WORK:-0}" = 1 ]; then note "scratch folder kept: $WORK"; else chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ------------------------------------------------------------------ data and model
python3 "$ROOT/Tests/Reliability/tiny_run_inputs.py" "$WORK" 4   # WORK/data (2 classes × 4 PNGs), WORK/unet.json

# Line-buffered stdout, so a killed process's log shows what it printed.
LINEBUF=(); command -v stdbuf >/dev/null && LINEBUF=(stdbuf -oL -eL)
# train_command RUN [extra options...] sets CMD. Background launches run "${CMD[@]}"
# directly, so $! is phantom itself (stdbuf execs it), not a subshell whose SIGKILL
# would leave phantom running.
train_command() {
    local run=$1; shift
    CMD=("${LINEBUF[@]}" "$BIN" train "$WORK/data" --out "$run" --unet-config "$WORK/unet.json" --batch-size 4
         --steps "$STEPS" --warmup-steps 10 --lr 1e-3 --seed 3 --threads 1 --log-every 5 "$@")
}
train() { train_command "$@"; "${CMD[@]}"; }
check() { python3 "$ROOT/Tests/Reliability/check_run.py" "$@"; }

# ------------------------------------------------------------------ kills
RUN="$WORK/run"
note "seed $KILL_SEED, $KILLS kills, $STEPS steps, binary $BIN"
started=$(date +%s.%N)
newest=0
killed=0
in_write=0
partial=0
: >"$WORK/check.err.previous"
: >"$WORK/staging.before"
for (( k = 1; k <= KILLS; k++ )); do
    log="$WORK/launch-$k.log"
    train_command "$RUN" --checkpoint-every 1 --keep-checkpoints 3 --resume
    "${CMD[@]}" >"$log" 2>&1 &
    CHILD=$!
    delay_ms=$(( 50 + RANDOM % 1451 ))   # 0.050–1.500 s
    delay_s=$(printf '%d.%03d' $(( delay_ms / 1000 )) $(( delay_ms % 1000 )))
    sleep "$delay_s"
    if kill -0 "$CHILD" 2>/dev/null; then
        kill -KILL "$CHILD"
        wait "$CHILD" 2>/dev/null || true
        killed=$((killed + 1))
    else
        status=0; wait "$CHILD" || status=$?
        CHILD=""
        if grep -q "^done:" "$log"; then
            note "launch $k finished the run before its kill (raise STEPS on a fast machine)"
            newest=$(check "$RUN") || fail "the run folder is inconsistent after launch $k finished"
            break
        fi
        cat "$log" >&2; fail "launch $k exited by itself with status $status"
    fi
    CHILD=""
    # A new hidden staging folder means the kill landed inside a checkpoint or model write.
    ls -a "$RUN/checkpoints" "$RUN" 2>/dev/null | grep '\.incomplete-' | sort >"$WORK/staging.now" || true
    if [ -n "$(comm -13 "$WORK/staging.before" "$WORK/staging.now")" ]; then in_write=$((in_write + 1)); fi
    mv "$WORK/staging.now" "$WORK/staging.before"
    if ! latest=$(check "$RUN" --tolerate-pruning 2>"$WORK/check.err"); then
        cat "$log" "$WORK/check.err" >&2; fail "after kill $k (${delay_s}s) the run folder is inconsistent"
    fi
    if grep -q "^resuming" "$log"; then
        resumed_at=$(sed -n 's/^resuming .* at step \([0-9]*\) of .*/\1/p' "$log")
        [ "$resumed_at" = "$newest" ] || fail "launch $k resumed at step $resumed_at, but the newest checkpoint was step $newest"
    elif grep -q "^training" "$log" && (( newest > 0 )); then
        cat "$log" >&2; fail "launch $k started training without resuming from step $newest"
    fi
    # Warnings about older checkpoints a killed prune left partly deleted (new ones only).
    if ! cmp -s "$WORK/check.err" "$WORK/check.err.previous"; then
        comm -13 <(sort "$WORK/check.err.previous") <(sort "$WORK/check.err")
        partial=$((partial + 1))
    fi
    cp "$WORK/check.err" "$WORK/check.err.previous"
    (( latest >= newest )) || fail "after kill $k the newest checkpoint went back from step $newest to $latest"
    printf 'kill %2d after %ss: newest checkpoint step %d\n' "$k" "$delay_s" "$latest"
    newest=$latest
done
(( newest > 0 )) || fail "no checkpoint was written in $killed launches"

# ------------------------------------------------------------------ finish and compare
log="$WORK/final.log"
train "$RUN" --checkpoint-every 1 --keep-checkpoints 3 --resume >"$log" 2>&1 || { cat "$log" >&2; fail "the final launch failed"; }
grep -q "^resuming .* at step $newest of $STEPS" "$log" || { cat "$log" >&2; fail "the final launch did not resume from step $newest"; }
grep -q "^done: $STEPS steps" "$log" || { cat "$log" >&2; fail "the final launch did not finish"; }
check "$RUN" --final "$STEPS" --tolerate-pruning >/dev/null || fail "the finished run folder is inconsistent"
leftovers=$(cd "$RUN" && ls -a | grep -E '^\.(model|checkpoints)\.(old|incomplete)-' || true)
[ -z "$leftovers" ] || note "WARNING: hidden leftovers of killed model writes in $RUN: $(echo $leftovers)"

STRAIGHT="$WORK/straight"
train "$STRAIGHT" --checkpoint-every 1000 >"$WORK/straight.log" 2>&1 || { cat "$WORK/straight.log" >&2; fail "the uninterrupted run failed"; }
for file in checkpoints/step-$(printf '%08d' "$STEPS")/unet.safetensors checkpoints/step-$(printf '%08d' "$STEPS")/optimizer.safetensors \
            model/unet/diffusion_pytorch_model.safetensors; do
    cmp -s "$RUN/$file" "$STRAIGHT/$file" || fail "$file differs between the killed-and-resumed run and an uninterrupted one"
done
elapsed=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
note "survived $killed kills ($in_write inside a checkpoint or model write, $partial inside a prune); resumed run equals the uninterrupted one (${elapsed}s)"

# ------------------------------------------------------------------ write failures
expect_failure() {  # expect_failure NAME PATH_FRAGMENT RUN [train options...]
    local name=$1 fragment=$2; shift 2
    local out="$WORK/$name.log" status=0
    train_command "$@"
    timeout 60 "${CMD[@]}" >"$out" 2>&1 || status=$?
    (( status != 0 && status != 124 )) || { cat "$out" >&2; fail "$name: exit status $status, expected a clean failure"; }
    grep -q "^error: .*$fragment" "$out" || { cat "$out" >&2; fail "$name: no error naming $fragment"; }
    if grep -q "^step [0-9]" "$out"; then cat "$out" >&2; fail "$name: trained before failing"; fi
    note "$name: exit $status: $(grep -m1 '^error:' "$out")"
}

touch "$WORK/a-file"
expect_failure out-inside-a-file "$WORK/a-file/run" "$WORK/a-file/run" --checkpoint-every 10

mkdir -p "$WORK/cp-file"; touch "$WORK/cp-file/checkpoints"
expect_failure checkpoints-is-a-file "$WORK/cp-file/checkpoints" "$WORK/cp-file" --checkpoint-every 10

if [ "$(id -u)" != 0 ]; then
    mkdir -p "$WORK/readonly"; chmod 500 "$WORK/readonly"
    expect_failure read-only-parent "$WORK/readonly/run" "$WORK/readonly/run" --checkpoint-every 10
    chmod 700 "$WORK/readonly"
else
    note "read-only-parent: skipped (running as root, permissions do not stop writes)"
fi

# Mid-run: once the first checkpoint exists, checkpoints/ becomes a regular file.
MID="$WORK/mid"
out="$WORK/mid-run.log"
train_command "$MID" --checkpoint-every 10 --steps 100000   # the last --steps wins
"${CMD[@]}" >"$out" 2>&1 &
CHILD=$!
for (( i = 0; i < 600; i++ )); do [ -d "$MID/checkpoints/step-00000010" ] && break; sleep 0.1; done
[ -d "$MID/checkpoints/step-00000010" ] || fail "mid-run: no checkpoint after 60 s"
for (( i = 0; i < 5; i++ )); do rm -rf "$MID/checkpoints" 2>/dev/null && break; sleep 0.05; done
touch "$MID/checkpoints"
status=0
for (( i = 0; i < 600; i++ )); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$CHILD" 2>/dev/null; then fail "mid-run: still training 60 s after its checkpoint folder became a file"; fi
wait "$CHILD" || status=$?
CHILD=""
(( status != 0 )) || { cat "$out" >&2; fail "mid-run: exit status 0 after a failed checkpoint write"; }
grep -q "^error: .*$MID/checkpoints" "$out" || { cat "$out" >&2; fail "mid-run: no error naming the checkpoint folder"; }
note "mid-run checkpoint failure: exit $status: $(grep -m1 '^error:' "$out")"

note "PASS"
