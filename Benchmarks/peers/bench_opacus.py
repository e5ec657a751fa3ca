#!/usr/bin/env python3
"""Opacus (CPU) peer for Phantom's DP-SGD step: the diffusers UNet2DModel of a Benchmarks/README.md
config, trained with and without Opacus 1.6 on the same random images.

  plain  forward, MSE, backward, AdamW(lr=1e-4) on a batch          -> images/s
  dp     the same under Opacus's PrivacyEngine (hooks mode: per-sample gradients, clipping to
         max_grad_norm 1, noise multiplier 1, Poisson sampling off so every step has the batch)
                                                                       -> images/s

One measurement per process; prints one JSON line with --json. Example:

  python Benchmarks/peers/bench_opacus.py --config tiny --mode dp --batch 8 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings

from bench_diffusers import peak_rss_mib, unet_config


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", choices=["tiny", "small", "cifar"], default="tiny")
    ap.add_argument("--mode", choices=["plain", "dp"], default="dp")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--grad-sample-mode", default="hooks", help="Opacus grad_sample_mode (hooks, ghost, ...)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import torch
    import diffusers
    from diffusers import DDPMScheduler, UNet2DModel

    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = unet_config(args.config)
    size = cfg["sample_size"]
    model = UNet2DModel(**cfg)
    model.train()
    scheduler = DDPMScheduler()
    gen = torch.Generator().manual_seed(1)
    clean = torch.rand(args.batch, 1, size, size, generator=gen) * 2 - 1
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    criterion = torch.nn.MSELoss()
    if args.mode == "dp":
        from opacus import PrivacyEngine

        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(clean), batch_size=args.batch)
        engine = PrivacyEngine()
        kwargs = {}
        if args.grad_sample_mode != "hooks":
            kwargs["criterion"] = criterion
        made = engine.make_private(module=model, optimizer=optimizer, data_loader=loader, noise_multiplier=1.0,
                                   max_grad_norm=1.0, poisson_sampling=False,
                                   grad_sample_mode=args.grad_sample_mode, **kwargs)
        model, optimizer = made[0], made[1]
        if len(made) > 3:
            criterion = made[3]

    def step():
        t = torch.randint(0, scheduler.config.num_train_timesteps, (args.batch,), generator=gen)
        noise = torch.randn(clean.shape, generator=gen)
        noisy = scheduler.add_noise(clean, noise, t)
        loss = criterion(model(noisy, t).sample, noise)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    result = {
        "peer": "opacus", "config": args.config, "mode": args.mode, "batch": args.batch, "threads": args.threads,
        "grad_sample_mode": args.grad_sample_mode if args.mode == "dp" else None,
        "median_s": med, "min_s": min(times), "max_s": max(times), "images_per_sec": args.batch / med,
        "peak_rss_mib": peak_rss_mib(), "torch": torch.__version__, "diffusers": diffusers.__version__,
    }
    if args.json:
        print(json.dumps(result), flush=True)
    else:
        print(f"{args.config} {args.mode} batch {args.batch}: {args.batch / med:.2f} images/s (median {med * 1e3:.1f} ms/step)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
