#!/usr/bin/env python3
"""Checks that a Phantom training run folder is consistent (stdlib only).

    check_run.py RUN [--final STEPS] [--tolerate-pruning]

Every visible checkpoints/step-N folder must hold the five checkpoint files, each
non-empty; config.json and state.json must be JSON with state.json's step equal to N;
each .safetensors file must be whole (its header parses and its size is exactly
8 + header length + the end of the last tensor). When model/ exists it must be a whole
model folder. metrics.jsonl lines must all parse, with strictly increasing steps.

Prints the newest checkpoint step (0 when there is none) on stdout; exits 1 with the
reasons on stderr when something is wrong. With --final STEPS the newest checkpoint
must be STEPS, model/ must exist and no hidden leftovers may remain in checkpoints/.

--tolerate-pruning reports a damaged checkpoint folder that is not the newest as a
warning instead of an error: Checkpoint.prune deletes an old step-N folder file by file
in place, so a kill during pruning leaves it partly deleted (--resume ignores it when
state.json is gone, and uses the newest one anyway). The newest must always be whole.
"""
import json
import os
import struct
import sys

CHECKPOINT_FILES = ["unet.safetensors", "ema.safetensors", "optimizer.safetensors", "config.json", "state.json"]
MODEL_FILES = ["model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
               "scheduler/scheduler_config.json", "phantom.json"]

problems = []


def problem(text):
    problems.append(text)


def problems_of(check, *args):
    """Runs `check` and returns the problems it found, without keeping them."""
    start = len(problems)
    check(*args)
    found = problems[start:]
    del problems[start:]
    return found


def check_json(path):
    try:
        with open(path, "rb") as handle:
            return json.load(handle)
    except Exception as error:  # noqa: BLE001 - any failure is a finding
        problem(f"{path}: not valid JSON ({error})")
        return None


def check_safetensors(path):
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            problem(f"{path}: {size} bytes, shorter than the length prefix")
            return
        (length,) = struct.unpack("<Q", prefix)
        if length > size - 8:
            problem(f"{path}: header length {length} exceeds the file ({size} bytes)")
            return
        try:
            header = json.loads(handle.read(length))
        except Exception as error:  # noqa: BLE001
            problem(f"{path}: header is not JSON ({error})")
            return
    end = max((entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"), default=0)
    if size != 8 + length + end:
        problem(f"{path}: {size} bytes, expected {8 + length + end} (truncated or padded)")


def check_file(path):
    if not os.path.isfile(path):
        problem(f"{path}: missing")
        return False
    if os.path.getsize(path) == 0:
        problem(f"{path}: empty")
        return False
    return True


def check_checkpoint(folder, step):
    for name in CHECKPOINT_FILES:
        path = os.path.join(folder, name)
        if not check_file(path):
            continue
        if name.endswith(".json"):
            value = check_json(path)
            if name == "state.json" and value is not None and value.get("step") != step:
                problem(f"{path}: step {value.get('step')}, but the folder is step {step}")
        else:
            check_safetensors(path)


def check_model(folder):
    for name in MODEL_FILES:
        path = os.path.join(folder, name)
        if check_file(path):
            (check_json if name.endswith(".json") else check_safetensors)(path)


def check_metrics(path):
    if not os.path.exists(path):
        return
    last = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle.read().split(b"\n"), start=1):
            if not line:
                continue
            try:
                step = json.loads(line)["step"]
            except Exception as error:  # noqa: BLE001
                problem(f"{path}:{number}: not a JSON metrics line ({error}): {line[:80]!r}")
                continue
            if step <= last:
                problem(f"{path}:{number}: step {step} after step {last}")
            last = step


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    run = args[0]
    final = int(args[args.index("--final") + 1]) if "--final" in args else None
    tolerate_pruning = "--tolerate-pruning" in args
    checkpoints = os.path.join(run, "checkpoints")
    names = sorted(os.listdir(checkpoints)) if os.path.isdir(checkpoints) else []
    steps = sorted(int(name[len("step-"):]) for name in names if name.startswith("step-"))
    for step in steps:
        found = problems_of(check_checkpoint, os.path.join(checkpoints, "step-%08d" % step), step)
        if found and tolerate_pruning and step != steps[-1]:
            for text in found:
                print("check_run: warning (older checkpoint partly deleted by a killed prune): " + text, file=sys.stderr)
        else:
            problems.extend(found)
    if os.path.isdir(os.path.join(run, "model")):
        check_model(os.path.join(run, "model"))
    elif final is not None:
        problem(f"{run}/model: missing after the run finished")
    check_metrics(os.path.join(run, "metrics.jsonl"))
    newest = max(steps, default=0)
    if final is not None:
        if newest != final:
            problem(f"{checkpoints}: newest checkpoint is step {newest}, expected {final}")
        leftovers = [name for name in names if name.startswith(".")]
        if leftovers:
            problem(f"{checkpoints}: hidden leftovers after a clean finish: {leftovers}")
    if problems:
        for text in problems:
            print("check_run: " + text, file=sys.stderr)
        sys.exit(1)
    print(newest)


if __name__ == "__main__":
    main()
