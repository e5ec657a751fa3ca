#!/usr/bin/env python3
"""Min-SNR-γ loss weights from diffusers' own `compute_snr`, for SchedulerSNRTests.

Writes Tests/Fixtures/training/min_snr.json: for a few schedules and prediction types,
the SNR of every 37th timestep and the min-SNR-γ weight that diffusers' training scripts
(`--snr_gamma`) apply to it. Run with the venv of Tests/Fixtures/README.md:

    /tmp/phantom-venv/bin/python Tests/Fixtures/make_snr_fixtures.py
"""
import json
from pathlib import Path

import diffusers
import torch
from diffusers import DDPMScheduler
from diffusers.training_utils import compute_snr

OUT = Path(__file__).resolve().parent / "training" / "min_snr.json"
TIMESTEPS = list(range(0, 1000, 37)) + [999]


def weights(sched, timesteps, gamma, prediction_type):
    """The weighting of diffusers' train_text_to_image.py, step for step."""
    snr = compute_snr(sched, timesteps)
    clipped = torch.stack([snr, gamma * torch.ones_like(timesteps)], dim=1).min(dim=1)[0]
    if prediction_type == "epsilon":
        return snr, clipped / snr
    if prediction_type == "v_prediction":
        return snr, clipped / (snr + 1)
    return snr, clipped  # sample


def main():
    cases = []
    for schedule in ["linear", "scaled_linear", "squaredcos_cap_v2"]:
        for prediction_type in ["epsilon", "v_prediction", "sample"]:
            for gamma in [1.0, 5.0]:
                sched = DDPMScheduler(beta_schedule=schedule, prediction_type=prediction_type)
                t = torch.tensor(TIMESTEPS)
                snr, w = weights(sched, t, gamma, prediction_type)
                cases.append({
                    "beta_schedule": schedule, "prediction_type": prediction_type, "gamma": gamma,
                    "timesteps": TIMESTEPS,
                    "snr": [float(x) for x in snr.float()],
                    "weights": [float(x) for x in w.float()],
                })
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"diffusers": diffusers.__version__, "torch": torch.__version__,
                               "cases": cases}, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
