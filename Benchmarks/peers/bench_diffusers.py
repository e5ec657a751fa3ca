#!/usr/bin/env python3
"""PyTorch (CPU) + diffusers peer benchmark for Phantom.

Measures diffusers' UNet2DModel on the configs of Benchmarks/README.md:

  train   one DDPM training step per iteration: t ~ U{0..999}, Gaussian noise,
          DDPMScheduler.add_noise, forward, MSE against the noise, backward,
          AdamW(lr=1e-4) step.                           -> images/s
  sample  one sampling step per iteration, no gradients: U-Net forward +
          DDPMScheduler.step.                            -> U-Net evaluations/s

`--setup` picks how the peer runs, as a user tuning PyTorch on a CPU would:

  fp32           PyTorch as it comes (the default)
  channels_last  the model and inputs in channels-last memory format
  bf16           channels_last + torch.autocast("cpu", dtype=torch.bfloat16)
  compile        torch.compile(model) (fp32)
  onnxruntime    sample only: the U-Net exported to ONNX (torch.onnx.export), run by
                 ONNX Runtime's CPU provider (intra-op threads = --threads)
  openvino-fp32  sample only: that ONNX file compiled by OpenVINO for the CPU at f32
  openvino-bf16  the same with INFERENCE_PRECISION_HINT bf16 (where the CPU has no bf16,
                 OpenVINO runs f32 and the JSON says which precision it used)

In every sample setup the scheduler step stays in PyTorch (fp32).

One measurement per process (peak RSS is the process's). Example:

  python Benchmarks/peers/bench_diffusers.py --config tiny --mode train --batch 8 --json

prints one JSON line. See Benchmarks/peers/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

CONFIGS = {
    # name: (sample_size, block_out_channels, layers_per_block, norm_num_groups, down, up)
    "tiny": (32, (32, 64, 64), 1, 8,
             ("DownBlock2D", "DownBlock2D", "AttnDownBlock2D"),
             ("AttnUpBlock2D", "UpBlock2D", "UpBlock2D")),
    "small": (64, (64, 128, 128, 256), 2, 32,
              ("DownBlock2D", "DownBlock2D", "AttnDownBlock2D", "DownBlock2D"),
              ("UpBlock2D", "AttnUpBlock2D", "UpBlock2D", "UpBlock2D")),
    "cifar": (32, (128, 256, 256, 256), 2, 32,
              ("DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"),
              ("UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D")),
}

SETUPS = ["fp32", "channels_last", "bf16", "compile", "onnxruntime", "openvino-fp32", "openvino-bf16"]
EXPORTED = {"onnxruntime", "openvino-fp32", "openvino-bf16"}

TRAIN_FLOP_FACTOR = 3.0  # forward + backward ~ 3x forward (BENCHMARKS.md convention)


def unet_config(name: str) -> dict:
    size, boc, lpb, groups, down, up = CONFIGS[name]
    return dict(
        sample_size=size,
        in_channels=1,
        out_channels=1,
        block_out_channels=boc,
        layers_per_block=lpb,
        norm_num_groups=groups,
        down_block_types=down,
        up_block_types=up,
        act_fn="silu",
        time_embedding_type="positional",
        flip_sin_to_cos=True,
        freq_shift=0,
        attention_head_dim=8,
        norm_eps=1e-5,
        downsample_padding=1,
        mid_block_type="UNetMidBlock2D",
        add_attention=True,
        dropout=0.0,
    )


def peak_rss_mib() -> float:
    # Linux: ru_maxrss is in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def forward_flops_per_image(model, torch, size: int) -> int:
    """FLOPs of one forward pass at batch 1, counted with torch.utils.flop_counter.

    diffusers' classic AttnProcessor (baddbmm/bmm) is swapped in for the count, because
    the default AttnProcessor2_0 (scaled_dot_product_attention) is not counted reliably.
    """
    from diffusers.models.attention_processor import Attention, AttnProcessor
    from torch.utils.flop_counter import FlopCounterMode

    # UNet2DModel has no set_attn_processor(); set it on each Attention module.
    attns = [m for m in model.modules() if isinstance(m, Attention)]
    saved = [m.processor for m in attns]
    for m in attns:
        m.set_processor(AttnProcessor())
    try:
        x = torch.zeros(1, 1, size, size)
        t = torch.tensor([500])
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x, t)
        return int(counter.get_total_flops())
    finally:
        for m, proc in zip(attns, saved):
            m.set_processor(proc)


def exported_unet(model, torch, batch: int, size: int, args):
    """The U-Net exported to ONNX and loaded by ONNX Runtime or OpenVINO: a function of
    (sample, timestep) -> model output as a torch tensor, and the precision it runs at."""
    import tempfile

    import numpy as np

    path = os.path.join(tempfile.mkdtemp(prefix="phantom-peer-"), "unet.onnx")
    sample = torch.randn(batch, 1, size, size)
    timestep = torch.tensor([999] * batch, dtype=torch.int64)

    class Wrapped(torch.nn.Module):
        def __init__(self, unet):
            super().__init__()
            self.unet = unet

        def forward(self, sample, timestep):
            return self.unet(sample, timestep).sample

    with torch.inference_mode():
        torch.onnx.export(Wrapped(model), (sample, timestep), path, input_names=["sample", "timestep"],
                          output_names=["out"], opset_version=17, dynamo=False)
    steps = lambda t: np.full((batch,), int(t), dtype=np.int64)
    if args.setup == "onnxruntime":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        return (lambda x, t: torch.from_numpy(session.run(None, {"sample": x.numpy(), "timestep": steps(t)})[0]),
                "f32")
    import openvino as ov

    core = ov.Core()
    hint = "bf16" if args.setup == "openvino-bf16" else "f32"
    compiled = core.compile_model(core.read_model(path), "CPU",
                                  {"INFERENCE_PRECISION_HINT": hint, "INFERENCE_NUM_THREADS": str(args.threads)})
    used = "bf16" if "bf16" in str(compiled.get_property("INFERENCE_PRECISION_HINT")) else "f32"
    request = compiled.create_infer_request()

    def run(x, t):
        request.infer({"sample": x.numpy(), "timestep": steps(t)})
        return torch.from_numpy(request.get_output_tensor(0).data.copy())

    return run, used


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", choices=sorted(CONFIGS), default="tiny")
    ap.add_argument("--mode", choices=["train", "sample"], default="train")
    ap.add_argument("--batch", type=int, default=None, help="default: 8 for train, 16 for sample")
    ap.add_argument("--steps", type=int, default=5, help="timed steps (median reported); default 5")
    ap.add_argument("--warmup", type=int, default=2, help="untimed warm-up steps; default 2")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads; default 2")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-flops", action="store_true", help="skip the FLOP count (gflops is then null)")
    ap.add_argument("--json", action="store_true", help="print exactly one JSON line on stdout")
    ap.add_argument("--setup", choices=SETUPS, default="fp32", help="how the peer runs (see above); default fp32")
    args = ap.parse_args()
    if args.mode == "train" and args.setup in EXPORTED:
        ap.error(f"--setup {args.setup} is for --mode sample only")
    if args.steps < 1 or args.warmup < 0:
        ap.error("--steps must be >= 1 and --warmup >= 0")
    batch = args.batch if args.batch is not None else (8 if args.mode == "train" else 16)

    import torch

    torch.set_num_threads(args.threads)
    import diffusers
    from diffusers import DDPMScheduler, UNet2DModel

    diffusers.utils.logging.set_verbosity_error()
    torch.manual_seed(args.seed)

    cfg = unet_config(args.config)
    size = cfg["sample_size"]
    model = UNet2DModel(**cfg)
    n_params = sum(p.numel() for p in model.parameters())
    memory_format = torch.channels_last if args.setup in ("channels_last", "bf16") else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.setup == "bf16")
    forward = torch.compile(model) if args.setup == "compile" else model
    precision_used = "bf16" if args.setup == "bf16" else "f32"
    scheduler = DDPMScheduler()  # defaults: 1000 steps, linear 1e-4..0.02, epsilon
    gen = torch.Generator().manual_seed(args.seed + 1)
    times: list[float] = []

    if args.mode == "train":
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        clean = torch.rand(batch, 1, size, size, generator=gen) * 2 - 1  # stand-in images in [-1, 1]

        def step():
            t = torch.randint(0, scheduler.config.num_train_timesteps, (batch,), generator=gen)
            noise = torch.randn(clean.shape, generator=gen)
            noisy = scheduler.add_noise(clean, noise, t).contiguous(memory_format=memory_format)
            with autocast:
                pred = forward(noisy, t).sample
            loss = torch.nn.functional.mse_loss(pred.float(), noise)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            return loss

        for _ in range(args.warmup):
            step()
        for _ in range(args.steps):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
    else:
        model.eval()
        x = torch.randn(batch, 1, size, size, generator=gen)
        timesteps = list(scheduler.timesteps)  # 999 .. 0 (no set_timesteps: full 1000-step DDPM)
        needed = args.warmup + args.steps
        if needed > len(timesteps):
            ap.error(f"--warmup + --steps must be <= {len(timesteps)}")
        if args.setup in EXPORTED:
            unet, precision_used = exported_unet(model, torch, batch, size, args)
        else:
            def unet(sample, t):
                with autocast:
                    return forward(sample.contiguous(memory_format=memory_format), t).sample.float()
        with torch.inference_mode():
            for i in range(needed):
                t = timesteps[i]
                t0 = time.perf_counter()
                out = unet(x, t)
                x = scheduler.step(out, t, x, generator=gen).prev_sample
                dt = time.perf_counter() - t0
                if i >= args.warmup:
                    times.append(dt)

    rss = peak_rss_mib()  # before the FLOP count, which runs at batch 1
    flops_img = None if args.no_flops else forward_flops_per_image(model, torch, size)

    med = statistics.median(times)
    per_step_flops = None
    if flops_img is not None:
        per_step_flops = flops_img * batch * (TRAIN_FLOP_FACTOR if args.mode == "train" else 1.0)
    result = {
        "peer": "pytorch+diffusers",
        "setup": args.setup,
        "precision": precision_used,
        "config": args.config,
        "mode": args.mode,
        "batch": batch,
        "threads": args.threads,
        "steps": args.steps,
        "warmup": args.warmup,
        "median_s": med,
        "min_s": min(times),
        "max_s": max(times),
        "times_s": times,
        ("images_per_sec" if args.mode == "train" else "evals_per_sec"): batch / med,
        "gflop_per_image_forward": None if flops_img is None else flops_img / 1e9,
        "gflop_per_step": None if per_step_flops is None else per_step_flops / 1e9,
        "gflops": None if per_step_flops is None else per_step_flops / med / 1e9,
        "peak_rss_mib": rss,
        "params": n_params,
        "malloc_tuned": bool(os.environ.get("MALLOC_MMAP_THRESHOLD_") or os.environ.get("MALLOC_TRIM_THRESHOLD_")),
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "python": platform.python_version(),
    }
    if args.json:
        print(json.dumps(result), flush=True)
    else:
        rate_key = "images_per_sec" if args.mode == "train" else "evals_per_sec"
        print(f"{args.config} {args.mode} batch {batch}, {args.threads} threads, {args.steps} steps "
              f"(+{args.warmup} warm-up), torch {torch.__version__}, diffusers {diffusers.__version__}")
        print(f"  median {med * 1e3:.1f} ms/step (min {min(times) * 1e3:.1f}, max {max(times) * 1e3:.1f})")
        print(f"  {rate_key.replace('_', ' ')}: {result[rate_key]:.2f}")
        if flops_img is not None:
            print(f"  forward {flops_img / 1e9:.3f} GFLOP/image, achieved {result['gflops']:.1f} GFLOP/s")
        print(f"  peak RSS {rss:.0f} MiB, {n_params / 1e6:.2f} M params")
    return 0


if __name__ == "__main__":
    sys.exit(main())
