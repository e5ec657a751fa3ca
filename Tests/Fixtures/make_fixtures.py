#!/usr/bin/env python3
"""Generate Phantom's reference fixtures with PyTorch + diffusers.

Run from anywhere:  python Tests/Fixtures/make_fixtures.py
(see Tests/Fixtures/README.md for the venv recipe and the file layout).

Everything is deterministic: fixed seeds, one CPU thread, no network.
Writes (overwriting) into the directory holding this script:

  unet/<name>/config.json                        diffusers UNet2DModel config (save_pretrained)
  unet/<name>/diffusion_pytorch_model.safetensors the (perturbed) weights, diffusers names, F32
  unet/<name>/io.safetensors                     forward/backward reference tensors
  unet/<name>/meta.json                          shapes, seeds, grad names, f32-vs-f64 error hints
  schedulers/<name>.json                         DDPM / DDIM / DPM-Solver++ reference cases
  manifest.json                                  versions and per-file sizes / sha256
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

import diffusers
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, UNet2DModel
from diffusers.schedulers import scheduling_ddpm
from diffusers.utils.torch_utils import randn_tensor
from safetensors.torch import load_file, save_file

HERE = Path(__file__).resolve().parent
FORMAT_VERSION = 1
SHAPE = [2, 1, 4, 4]  # scheduler test tensors

# --------------------------------------------------------------------------------------
# JSON with exact float32 numbers
# --------------------------------------------------------------------------------------


class F32List:
    """A list of float32 values, written as shortest decimal strings that round-trip."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype=np.float32).reshape(-1)


def f32(x) -> F32List:
    if isinstance(x, torch.Tensor):
        x = x.detach().to(torch.float32).cpu().numpy()
    return F32List(x)


def f32_scalar(x) -> float:
    """A float32 scalar, returned as the Python float of its exact value."""
    if isinstance(x, torch.Tensor):
        x = x.detach().to(torch.float32).cpu().item()
    return float(np.float32(x))


def _fmt_f32(v: np.float32) -> str:
    if not np.isfinite(v):
        raise ValueError(f"non-finite value {v} cannot go into JSON")
    s = str(v)  # numpy: shortest string that round-trips float32
    # Guard against double rounding in readers that parse to double first.
    if np.float32(float(s)) != v:
        s = "%.9g" % v
        assert np.float32(float(s)) == v
    return s


def _fmt_float(v: float) -> str:
    # Non-finite config values (DPM-Solver's lambda_min_clipped = -inf) become the strings
    # "Infinity" / "-Infinity" / "NaN", readable by Swift's JSONDecoder with
    # .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN").
    if math.isnan(v):
        return '"NaN"'
    if math.isinf(v):
        return '"Infinity"' if v > 0 else '"-Infinity"'
    return repr(float(v))


def to_json(obj, indent: int = 0) -> str:
    pad = " " * indent
    pad1 = " " * (indent + 1)
    if isinstance(obj, F32List):
        return "[" + ",".join(_fmt_f32(v) for v in obj.values) + "]"
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad1}{json.dumps(str(k))}: {to_json(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if all(isinstance(v, (bool, int, float, str, type(None))) for v in obj):
            return "[" + ",".join(to_json(v) for v in obj) + "]"
        return "[\n" + ",\n".join(pad1 + to_json(v, indent + 1) for v in obj) + "\n" + pad + "]"
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return json.dumps(obj)
    if isinstance(obj, (int, np.integer)):
        return str(int(obj))
    if isinstance(obj, (float, np.floating)):
        return _fmt_float(float(obj))
    raise TypeError(f"cannot serialise {type(obj)}")


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = to_json(obj) + "\n"
    json.loads(text)  # must be valid JSON
    path.write_text(text)


def versions() -> dict:
    return {
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
    }


# --------------------------------------------------------------------------------------
# UNet fixtures
# --------------------------------------------------------------------------------------

UNET_COMMON = dict(
    in_channels=1,
    out_channels=1,
    act_fn="silu",
    time_embedding_type="positional",
    resnet_time_scale_shift="default",
    dropout=0.0,
)

UNET_CASES = {
    # Two levels, multi-head attention (head dim 4 on 16 channels = 4 heads), mid attention.
    "tiny_attn": dict(
        seed=1001,
        batch=2,
        timesteps=[999.0, 0.0],
        class_labels=None,
        config=dict(
            sample_size=16,
            block_out_channels=(8, 16),
            layers_per_block=1,
            norm_num_groups=4,
            down_block_types=("DownBlock2D", "AttnDownBlock2D"),
            up_block_types=("AttnUpBlock2D", "UpBlock2D"),
            attention_head_dim=4,
            flip_sin_to_cos=True,
            freq_shift=0,
            downsample_padding=1,
        ),
        grads=[
            "conv_in.weight",
            "conv_in.bias",
            "time_embedding.linear_1.weight",
            "time_embedding.linear_2.bias",
            "down_blocks.0.resnets.0.norm1.weight",
            "down_blocks.0.resnets.0.time_emb_proj.weight",
            "down_blocks.0.downsamplers.0.conv.weight",
            "down_blocks.1.resnets.0.conv_shortcut.weight",
            "down_blocks.1.attentions.0.to_q.weight",
            "down_blocks.1.attentions.0.to_k.bias",
            "down_blocks.1.attentions.0.to_out.0.bias",
            "mid_block.attentions.0.group_norm.weight",
            "mid_block.attentions.0.to_v.weight",
            "mid_block.resnets.1.conv2.weight",
            "up_blocks.0.attentions.1.to_q.weight",
            "up_blocks.0.upsamplers.0.conv.weight",
            "up_blocks.1.resnets.1.conv_shortcut.bias",
            "conv_norm_out.weight",
            "conv_out.bias",
        ],
    ),
    # Class conditional, one attention head, flip False / freq_shift 1, centred input,
    # asymmetric-pad downsampling (downsample_padding=0), mid_block_scale_factor sqrt(2),
    # explicit attn_norm_num_groups for the mid attention, norm_eps 1e-6, three levels.
    "class_cond": dict(
        seed=2002,
        batch=2,
        timesteps=[17.0, 640.0],
        class_labels=[2, 0],
        config=dict(
            sample_size=16,
            block_out_channels=(8, 8, 16),
            layers_per_block=2,
            norm_num_groups=4,
            attn_norm_num_groups=2,
            norm_eps=1e-6,
            down_block_types=("DownBlock2D", "AttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
            attention_head_dim=None,
            flip_sin_to_cos=False,
            freq_shift=1,
            downsample_padding=0,
            center_input_sample=True,
            mid_block_scale_factor=math.sqrt(2.0),
            num_class_embeds=3,
        ),
        grads=[
            "conv_in.weight",
            "time_embedding.linear_1.weight",
            "class_embedding.weight",
            "down_blocks.0.resnets.0.norm1.weight",
            "down_blocks.0.resnets.1.norm2.bias",
            "down_blocks.0.downsamplers.0.conv.weight",
            "down_blocks.1.attentions.0.to_q.weight",
            "down_blocks.1.attentions.1.to_out.0.bias",
            "down_blocks.1.downsamplers.0.conv.bias",
            "mid_block.resnets.0.conv1.weight",
            "mid_block.attentions.0.group_norm.weight",
            "mid_block.attentions.0.group_norm.bias",
            "mid_block.attentions.0.to_k.weight",
            "up_blocks.0.resnets.2.conv_shortcut.weight",
            "up_blocks.0.upsamplers.0.conv.weight",
            "up_blocks.1.attentions.2.to_v.bias",
            "up_blocks.2.resnets.0.time_emb_proj.bias",
            "conv_out.weight",
            "conv_out.bias",
        ],
    ),
    # No attention in the mid block (add_attention=False; attn_norm_num_groups is then
    # unused), attention only in the first down block, plain up blocks, B=1, 8x8.
    "no_mid_attn": dict(
        seed=3003,
        batch=1,
        timesteps=[17.0],
        class_labels=None,
        config=dict(
            sample_size=8,
            block_out_channels=(8, 16),
            layers_per_block=1,
            norm_num_groups=2,
            attn_norm_num_groups=4,
            add_attention=False,
            down_block_types=("AttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "UpBlock2D"),
            attention_head_dim=8,
            flip_sin_to_cos=True,
            freq_shift=0,
            downsample_padding=1,
        ),
        grads=[
            "conv_in.weight",
            "time_embedding.linear_1.weight",
            "down_blocks.0.resnets.0.norm1.weight",
            "down_blocks.0.attentions.0.group_norm.weight",
            "down_blocks.0.attentions.0.to_q.weight",
            "down_blocks.0.attentions.0.to_out.0.bias",
            "mid_block.resnets.0.norm1.bias",
            "mid_block.resnets.1.conv1.weight",
            "up_blocks.0.upsamplers.0.conv.weight",
            "up_blocks.1.resnets.0.conv_shortcut.weight",
            "conv_out.bias",
        ],
    ),
}


def _forward_backward(model, sample, timestep, class_labels, grad_output, grad_names):
    model.zero_grad(set_to_none=True)
    x = sample.clone().requires_grad_(True)
    out = model(x, timestep, class_labels=class_labels).sample
    loss = (out * grad_output).sum()
    loss.backward()
    grads = {n: model.get_parameter(n).grad.detach().clone() for n in grad_names}
    return out.detach(), x.grad.detach().clone(), grads


def make_unet(name: str, case: dict, out_dir: Path) -> list[Path]:
    cfg = dict(UNET_COMMON, **case["config"])
    torch.manual_seed(case["seed"])
    model = UNet2DModel(**cfg)
    # Perturb every parameter (norm affine params and biases included) so nothing is
    # trivially 0 or 1. Order: model.named_parameters(); seeded above.
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.add_(0.1 * torch.randn_like(p))
    model.eval()

    d = out_dir / "unet" / name
    d.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(d, safe_serialization=True)

    # The saved files must load back to exactly these weights under diffusers' names.
    reloaded = UNet2DModel.from_pretrained(d).eval()
    sd0, sd1 = model.state_dict(), reloaded.state_dict()
    assert sd0.keys() == sd1.keys()
    for k in sd0:
        assert torch.equal(sd0[k], sd1[k]), k
    model = reloaded

    gen = torch.Generator().manual_seed(case["seed"] + 1)
    b, s = case["batch"], cfg["sample_size"]
    sample = torch.randn(b, cfg["in_channels"], s, s, generator=gen, dtype=torch.float32)
    timestep = torch.tensor(case["timesteps"], dtype=torch.float32)
    assert timestep.shape == (b,)
    labels = None
    if case["class_labels"] is not None:
        labels = torch.tensor(case["class_labels"], dtype=torch.int64)
    grad_output = torch.randn(b, cfg["out_channels"], s, s, generator=gen, dtype=torch.float32)

    names = case["grads"]
    missing = [n for n in names if n not in sd1]
    assert not missing, f"{name}: no such parameters {missing}"

    out, grad_sample, grads = _forward_backward(model, sample, timestep, labels, grad_output, names)

    # Integer (int64) timesteps - what a scheduler hands the model - give the same result.
    with torch.no_grad():
        out_int = model(sample, timestep.to(torch.int64), class_labels=labels).sample
    assert torch.allclose(out, out_int, rtol=0, atol=0), f"{name}: int64 vs f32 timestep differ"

    # Float64 run of the same model, to give the Swift tests a realistic tolerance.
    model64 = copy.deepcopy(model).to(torch.float64)
    out64, gs64, grads64 = _forward_backward(
        model64,
        sample.to(torch.float64),
        timestep.to(torch.float64),
        labels,
        grad_output.to(torch.float64),
        names,
    )

    def err(a, b64):
        return float((a.to(torch.float64) - b64).abs().max())

    tensors = {
        "sample": sample,
        "timestep": timestep,
        "grad_output": grad_output,
        "output": out,
        "grad_sample": grad_sample,
    }
    if labels is not None:
        tensors["class_labels"] = labels
    for n in names:
        tensors[f"grad.{n}"] = grads[n]
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    io_path = d / "io.safetensors"
    save_file(tensors, str(io_path), metadata={"format": "pt"})  # one key: safetensors orders metadata randomly
    back = load_file(str(io_path))
    for k, v in tensors.items():
        assert torch.equal(back[k], v), k

    n_params = sum(p.numel() for p in model.parameters())
    meta = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "versions": versions(),
        "seed": case["seed"],
        "weights_init": "diffusers default init under torch.manual_seed(seed), then every parameter "
        "p += 0.1 * randn_like(p) in named_parameters() order",
        "inputs_seed": case["seed"] + 1,
        "num_parameters": n_params,
        "mode": "eval, dropout 0, float32, 1 thread, default attention processor (SDPA)",
        "loss": "sum(output * grad_output)",
        "tensors": {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)} for k, v in tensors.items()},
        "grad_parameters": names,
        "timesteps_note": "timestep is stored as F32; the same integer values passed as int64 give a bit-identical output",
        "f32_vs_f64_max_abs_error": {
            "output": err(out, out64),
            "grad_sample": err(grad_sample, gs64),
            "grad": {n: err(grads[n], grads64[n]) for n in names},
        },
        "max_abs": {
            "output": float(out.abs().max()),
            "grad_sample": float(grad_sample.abs().max()),
            "grad": {n: float(grads[n].abs().max()) for n in names},
        },
    }
    write_json(d / "meta.json", meta)
    return [d / "config.json", d / "diffusion_pytorch_model.safetensors", io_path, d / "meta.json"]


# --------------------------------------------------------------------------------------
# Independent float64 re-derivations, used only to check that the recorded data (and
# the recorded noise) really determine diffusers' outputs.
# --------------------------------------------------------------------------------------


def _np(x):
    return x.detach().to(torch.float64).cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, np.float64)


F = np.float32


def ref_ddpm_step(acp, cfg, t, prev_t, sample, mo, noise):
    # Scalars in float32, in diffusers' order (1 - a_t/a_prev cancels badly near t = 0, so
    # float64 scalars would NOT reproduce diffusers there); tensor arithmetic in float64.
    a_t = F(acp[t])
    a_p = F(acp[prev_t]) if prev_t >= 0 else F(1.0)
    b_t, b_p = F(1) - a_t, F(1) - a_p
    cur_a = F(a_t / a_p)
    cur_b = F(1) - cur_a
    x, e = _np(sample), _np(mo)
    pt = cfg["prediction_type"]
    if pt == "epsilon":
        x0 = (x - float(np.sqrt(b_t)) * e) / float(np.sqrt(a_t))
    elif pt == "sample":
        x0 = e
    else:
        x0 = float(np.sqrt(a_t)) * x - float(np.sqrt(b_t)) * e
    if cfg["clip_sample"]:
        r = cfg["clip_sample_range"]
        x0 = np.clip(x0, -r, r)
    c_x0 = F(F(np.sqrt(a_p) * cur_b) / b_t)
    c_x = F(F(np.sqrt(cur_a) * b_p) / b_t)
    prev = float(c_x0) * x0 + float(c_x) * x
    if t > 0:
        if cfg["variance_type"] == "fixed_small":
            var = max(F(F(b_p / b_t) * cur_b), F(1e-20))
        elif cfg["variance_type"] == "fixed_large":
            var = cur_b
        else:
            raise NotImplementedError
        prev = prev + float(np.sqrt(F(var))) * _np(noise)
    return prev, x0


def ref_ddim_step(acp, final_acp, cfg, t, prev_t, sample, mo, eta, noise):
    a_t = F(acp[t])
    a_p = F(acp[prev_t]) if prev_t >= 0 else F(final_acp)
    b_t = F(1) - a_t
    sa, sb = float(np.sqrt(a_t)), float(np.sqrt(b_t))
    x, m = _np(sample), _np(mo)
    pt = cfg["prediction_type"]
    if pt == "epsilon":
        x0, eps = (x - sb * m) / sa, m
    elif pt == "sample":
        x0 = m
        eps = (x - sa * x0) / sb
    else:
        x0 = sa * x - sb * m
        eps = sa * m + sb * x
    if cfg["clip_sample"]:
        r = cfg["clip_sample_range"]
        x0 = np.clip(x0, -r, r)
    var = F(F(F(1) - a_p) / b_t) * F(F(1) - F(a_t / a_p))
    std = F(F(eta) * np.sqrt(F(var)))
    prev = float(np.sqrt(a_p)) * x0 + float(np.sqrt(F(F(F(1) - a_p) - F(std * std)))) * eps
    if eta > 0:
        prev = prev + float(std) * _np(noise)
    return prev, x0


def ref_dpmpp_trajectory(sigmas, cfg, sample, model_outputs):
    """DPM-Solver++ (2M, midpoint) re-derivation. Returns (prev_samples, orders)."""
    n = len(sigmas) - 1

    def alpha_sigma(s):
        a = 1.0 / math.sqrt(s * s + 1.0)
        return a, s * a

    def lam(s):
        a, sg = alpha_sigma(s)
        return math.inf if sg == 0 else math.log(a) - math.log(sg)

    x = _np(sample)
    x0s, outs, orders = [], [], []
    lower_order_nums = 0
    for i in range(n):
        s0 = float(sigmas[i])
        a0, sg0 = alpha_sigma(s0)
        m = _np(model_outputs[i])
        pt = cfg["prediction_type"]
        if pt == "epsilon":
            x0 = (x - sg0 * m) / a0
        elif pt == "sample":
            x0 = m
        else:
            x0 = a0 * x - sg0 * m
        x0s.append(x0)
        final = i == n - 1 and (
            cfg["euler_at_final"] or (cfg["lower_order_final"] and n < 15) or cfg["final_sigmas_type"] == "zero"
        )
        st = float(sigmas[i + 1])
        at, sgt = alpha_sigma(st)
        if cfg["solver_order"] == 1 or lower_order_nums < 1 or final:
            order = 1
            if sgt == 0:
                x = x0.copy()  # sigma_t/sigma_s = 0, exp(-h) = 0
            else:
                h = lam(st) - lam(s0)
                x = (sgt / sg0) * x - (at * (math.exp(-h) - 1.0)) * x0
        else:
            order = 2
            s1 = float(sigmas[i - 1])
            h = lam(st) - lam(s0)
            h0 = lam(s0) - lam(s1)
            r0 = h0 / h
            d0, d1 = x0s[-1], (1.0 / r0) * (x0s[-1] - x0s[-2])
            if cfg["solver_type"] == "midpoint":
                x = (sgt / sg0) * x - (at * (math.exp(-h) - 1.0)) * d0 - 0.5 * (at * (math.exp(-h) - 1.0)) * d1
            else:
                x = (sgt / sg0) * x - (at * (math.exp(-h) - 1.0)) * d0 + (at * ((math.exp(-h) - 1.0) / h + 1.0)) * d1
        lower_order_nums = min(lower_order_nums + 1, cfg["solver_order"])
        outs.append(x)
        orders.append(order)
    return outs, orders


def check_close(name, got, ref, tol=2e-5):
    got = _np(got)
    ref = _np(ref)
    scale = max(1.0, float(np.abs(ref).max()))
    diff = float(np.abs(got - ref).max())
    if not diff <= tol * scale:
        raise AssertionError(f"{name}: diffusers vs re-derivation differ by {diff} (scale {scale})")


# --------------------------------------------------------------------------------------
# Scheduler fixtures
# --------------------------------------------------------------------------------------

# 6, 7 and 16 hit numpy round-half-to-even cases (linspace / trailing spacings).
TIMESTEP_COUNTS = [1, 3, 6, 7, 10, 16, 20, 50, 1000]


def fake_model(sample: torch.Tensor, t) -> torch.Tensor:
    """Deterministic stand-in for a U-Net: 0.5*x + 0.1*t/1000, float32."""
    return 0.5 * sample + 0.1 * float(t) / 1000.0


def scheduler_header(kind: str, sched, description: str) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "scheduler": kind,
        "description": description,
        "versions": versions(),
        "shape": SHAPE,
        "config": json.loads(sched.to_json_string()),
        "alphas_cumprod": f32(sched.alphas_cumprod),
    }


def timesteps_table(cls, cfg) -> dict:
    table = {}
    for n in TIMESTEP_COUNTS:
        s = cls(**cfg)
        s.set_timesteps(n)
        table[str(n)] = [int(t) for t in s.timesteps]
    return table


def add_noise_cases(sched, gen, timestep_pairs) -> list:
    cases = []
    for ts in timestep_pairs:
        x0 = torch.randn(SHAPE, generator=gen)
        noise = torch.randn(SHAPE, generator=gen)
        t = torch.tensor(ts, dtype=torch.int64)
        noisy = sched.add_noise(x0, noise, t)
        cases.append(
            {"timesteps": list(ts), "original_samples": f32(x0), "noise": f32(noise), "noisy_samples": f32(noisy)}
        )
    return cases


class CaptureNoise:
    """Records the tensors diffusers' DDPM step draws through randn_tensor."""

    def __init__(self):
        self.drawn = []
        self._orig = None

    def __enter__(self):
        self._orig = scheduling_ddpm.randn_tensor

        def wrapped(*args, **kwargs):
            r = self._orig(*args, **kwargs)
            self.drawn.append(r.clone())
            return r

        scheduling_ddpm.randn_tensor = wrapped
        return self

    def __exit__(self, *exc):
        scheduling_ddpm.randn_tensor = self._orig


DDPM_VARIANTS = {
    "ddpm_default": ({}, "diffusers defaults: linear betas, epsilon, clip_sample, fixed_small, leading, steps_offset 0"),
    "ddpm_linear_eps_noclip_fixedlarge_leading_off1": (
        dict(clip_sample=False, variance_type="fixed_large", steps_offset=1),
        "fixed_large variance; leading spacing with steps_offset 1 (last timestep is 1, so noise is still added)",
    ),
    "ddpm_scaledlinear_v_noclip_trailing": (
        dict(
            beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, prediction_type="v_prediction",
            clip_sample=False, timestep_spacing="trailing",
        ),
        "scaled_linear betas (SD range), v_prediction, trailing spacing",
    ),
    "ddpm_squaredcos_sample_clip_linspace": (
        dict(beta_schedule="squaredcos_cap_v2", prediction_type="sample", timestep_spacing="linspace"),
        "squaredcos_cap_v2 betas, sample prediction with clipping, linspace spacing",
    ),
    "ddpm_sigmoid_eps_fixedlarge_trailing_off1": (
        dict(beta_schedule="sigmoid", variance_type="fixed_large", timestep_spacing="trailing", steps_offset=1),
        "sigmoid betas, fixed_large, trailing spacing (steps_offset is ignored by trailing)",
    ),
    "ddpm_linear_v_clip_linspace_off1": (
        dict(prediction_type="v_prediction", timestep_spacing="linspace", steps_offset=1, clip_sample_range=0.5),
        "v_prediction, clip_sample_range 0.5, linspace spacing (steps_offset is ignored by linspace)",
    ),
    "ddpm_scaledlinear_eps_noclip_leading_off1": (
        dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, clip_sample=False, steps_offset=1),
        "scaled_linear betas, epsilon, no clipping, leading spacing with steps_offset 1",
    ),
}


def make_ddpm(name: str, overrides: dict, description: str, seed: int) -> dict:
    base = DDPMScheduler(**overrides)
    cfg = dict(base.config)
    out = scheduler_header("DDPMScheduler", base, description)
    out["timesteps_before_set_timesteps"] = "999, 998, ..., 0 (np.arange(num_train_timesteps)[::-1]); previous timestep is t-1"
    out["set_timesteps"] = timesteps_table(DDPMScheduler, overrides)
    acp = base.alphas_cumprod.to(torch.float64).numpy()
    gen = torch.Generator().manual_seed(seed)
    out["add_noise"] = add_noise_cases(base, gen, [(0, 999), (17, 500)])

    # One set of inputs for every case of the file; the cases differ in (n, t).
    sample = torch.randn(SHAPE, generator=gen)
    mo = torch.randn(SHAPE, generator=gen)
    noise_seed = seed * 1000
    expected_noise = randn_tensor(tuple(SHAPE), generator=torch.Generator().manual_seed(noise_seed), dtype=torch.float32)
    out["step_inputs"] = {
        "sample": f32(sample),
        "model_output": f32(mo),
        "noise_seed": noise_seed,
        "variance_noise": f32(expected_noise),
    }
    cases = []
    for n in [None, 10, 50]:
        s = DDPMScheduler(**overrides)
        if n is not None:
            s.set_timesteps(n)
        ts = [int(t) for t in s.timesteps]
        picks = sorted({0, len(ts) // 2, len(ts) - 2, len(ts) - 1})
        for idx in picks:
            t = ts[idx]
            with CaptureNoise() as cap:
                r = s.step(mo, t, sample, generator=torch.Generator().manual_seed(noise_seed))
            prev_t = int(s.previous_timestep(t))
            noise = None
            if t > 0:
                assert len(cap.drawn) == 1
                assert torch.equal(cap.drawn[0], expected_noise), "noise not reproducible from its seed"
                noise = cap.drawn[0]
            else:
                assert not cap.drawn
            # int64 tensor timestep (as taken from scheduler.timesteps) gives the same result
            r2 = s.step(mo, torch.tensor(t), sample, generator=torch.Generator().manual_seed(noise_seed))
            assert torch.equal(r.prev_sample, r2.prev_sample)
            ref_prev, ref_x0 = ref_ddpm_step(acp, cfg, t, prev_t, sample, mo, noise)
            check_close(f"{name} t={t} prev", r.prev_sample, ref_prev)
            check_close(f"{name} t={t} x0", r.pred_original_sample, ref_x0)
            cases.append(
                {
                    "num_inference_steps": n,
                    "step_index": idx,
                    "timestep": t,
                    "prev_timestep": prev_t,
                    "noise_drawn": noise is not None,
                    "prev_sample": f32(r.prev_sample),
                    "pred_original_sample": f32(r.pred_original_sample),
                }
            )
    out["step_note"] = (
        "num_inference_steps null = set_timesteps never called (prev_timestep = t-1). Otherwise a fresh scheduler "
        "after set_timesteps(n); prev_timestep = next entry of scheduler.timesteps, -1 after the last "
        "(alpha_cumprod_prev = 1). Every case uses step_inputs; step_inputs.variance_noise = randn_tensor(shape, "
        "generator=torch.Generator().manual_seed(noise_seed)) is what diffusers drew, which it does only when "
        "t > 0 (noise_drawn)."
    )
    out["step"] = cases
    return out


def make_ddpm_trajectory(seed: int) -> dict:
    s = DDPMScheduler()
    s.set_timesteps(10)
    cfg = dict(s.config)
    acp = s.alphas_cumprod.to(torch.float64).numpy()
    out = scheduler_header("DDPMScheduler", s, "10-step ancestral sampling trajectory, default config, fake model")
    out["num_inference_steps"] = 10
    out["timesteps"] = [int(t) for t in s.timesteps]
    out["model"] = "model_output = 0.5 * sample + 0.1 * t / 1000 (float32; recorded per step)"
    out["generator"] = (
        f"one torch.Generator().manual_seed({seed}) passed to every step; each step with t > 0 draws one "
        "randn_tensor(shape) from it (recorded as variance_noise)"
    )
    gen = torch.Generator().manual_seed(seed)
    replay = torch.Generator().manual_seed(seed)
    x = torch.randn(SHAPE, generator=torch.Generator().manual_seed(seed + 1))
    out["initial_sample"] = f32(x)
    out["initial_sample_seed"] = seed + 1
    steps = []
    for i, t in enumerate(s.timesteps):
        t = int(t)
        mo = fake_model(x, t)
        with CaptureNoise() as cap:
            r = s.step(mo, t, x, generator=gen)
        noise = None
        if t > 0:
            noise = randn_tensor(tuple(SHAPE), generator=replay, dtype=torch.float32)
            assert torch.equal(cap.drawn[0], noise)
        prev_t = int(s.previous_timestep(t))
        ref_prev, _ = ref_ddpm_step(acp, cfg, t, prev_t, x, mo, noise)
        check_close(f"ddpm trajectory step {i}", r.prev_sample, ref_prev)
        steps.append(
            {
                "step_index": i,
                "timestep": t,
                "prev_timestep": prev_t,
                "model_output": f32(mo),
                "variance_noise": f32(noise) if noise is not None else None,
                "prev_sample": f32(r.prev_sample),
                "pred_original_sample": f32(r.pred_original_sample),
            }
        )
        x = r.prev_sample
    out["steps"] = steps
    return out


DDIM_VARIANTS = {
    "ddim_default_eta0": (
        dict(), 0.0,
        "diffusers defaults (linear, epsilon, clip_sample, set_alpha_to_one, leading, steps_offset 0), eta 0",
    ),
    "ddim_noclip_alpha0_eta05": (
        dict(clip_sample=False, set_alpha_to_one=False), 0.5,
        "set_alpha_to_one False (final alpha_cumprod = alphas_cumprod[0]), eta 0.5 with explicit variance_noise",
    ),
    "ddim_scaledlinear_v_trailing_alpha0_eta0": (
        dict(
            beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, prediction_type="v_prediction",
            clip_sample=False, set_alpha_to_one=False, timestep_spacing="trailing",
        ),
        0.0,
        "scaled_linear, v_prediction, trailing spacing, set_alpha_to_one False, eta 0",
    ),
    "ddim_squaredcos_sample_linspace_off1_eta05": (
        dict(beta_schedule="squaredcos_cap_v2", prediction_type="sample", timestep_spacing="linspace", steps_offset=1),
        0.5,
        "squaredcos_cap_v2, sample prediction + clipping, linspace spacing (steps_offset ignored), eta 0.5",
    ),
    "ddim_leading_off1_noclip_eta0": (
        dict(steps_offset=1, clip_sample=False, set_alpha_to_one=False), 0.0,
        "leading spacing with steps_offset 1, no clipping, set_alpha_to_one False, eta 0",
    ),
}


def make_ddim(name: str, overrides: dict, eta: float, description: str, seed: int) -> dict:
    base = DDIMScheduler(**overrides)
    cfg = dict(base.config)
    out = scheduler_header("DDIMScheduler", base, description)
    out["final_alpha_cumprod"] = f32_scalar(base.final_alpha_cumprod)
    out["eta"] = eta
    out["set_timesteps"] = timesteps_table(DDIMScheduler, overrides)
    acp = base.alphas_cumprod.to(torch.float64).numpy()
    final_acp = float(base.final_alpha_cumprod)
    gen = torch.Generator().manual_seed(seed)
    out["add_noise"] = add_noise_cases(base, gen, [(0, 999), (17, 500)])

    def prev_of(s, t):
        return t - s.config.num_train_timesteps // s.num_inference_steps

    sample = torch.randn(SHAPE, generator=gen)
    mo = torch.randn(SHAPE, generator=gen)
    noise = torch.randn(SHAPE, generator=gen) if eta > 0 else None
    out["step_inputs"] = {
        "sample": f32(sample),
        "model_output": f32(mo),
        "variance_noise": f32(noise) if noise is not None else None,
    }
    cases = []
    for n in [10, 20]:
        s = DDIMScheduler(**overrides)
        s.set_timesteps(n)
        ts = [int(t) for t in s.timesteps]
        for idx in sorted({0, len(ts) // 2, len(ts) - 2, len(ts) - 1}):
            t = ts[idx]
            r = s.step(mo, t, sample, eta=eta, variance_noise=noise)
            ref_prev, ref_x0 = ref_ddim_step(acp, final_acp, cfg, t, prev_of(s, t), sample, mo, eta, noise)
            check_close(f"{name} t={t} prev", r.prev_sample, ref_prev)
            check_close(f"{name} t={t} x0", r.pred_original_sample, ref_x0)
            cases.append(
                {
                    "num_inference_steps": n,
                    "step_index": idx,
                    "timestep": t,
                    "prev_timestep": prev_of(s, t),
                    "prev_sample": f32(r.prev_sample),
                    "pred_original_sample": f32(r.pred_original_sample),
                }
            )
    out["step_note"] = (
        "fresh scheduler after set_timesteps(n). prev_timestep = t - num_train_timesteps // n for EVERY spacing "
        "(not the next list entry); alpha_cumprod_prev = final_alpha_cumprod when prev_timestep < 0. "
        "Every case uses step_inputs (variance_noise passed explicitly as step(..., variance_noise=), eta > 0 only)."
    )
    out["step"] = cases

    # 20-step trajectory with the fake model.
    s = DDIMScheduler(**overrides)
    s.set_timesteps(20)
    x = torch.randn(SHAPE, generator=gen)
    traj = {
        "num_inference_steps": 20,
        "timesteps": [int(t) for t in s.timesteps],
        "model": "model_output = 0.5 * sample + 0.1 * t / 1000 (float32; recorded per step)",
        "eta": eta,
        "initial_sample": f32(x),
        "steps": [],
    }
    for i, t in enumerate(s.timesteps):
        t = int(t)
        mo = fake_model(x, t)
        noise = torch.randn(SHAPE, generator=gen) if eta > 0 else None
        r = s.step(mo, t, x, eta=eta, variance_noise=noise)
        ref_prev, _ = ref_ddim_step(acp, final_acp, cfg, t, prev_of(s, t), x, mo, eta, noise)
        check_close(f"{name} trajectory {i}", r.prev_sample, ref_prev)
        traj["steps"].append(
            {
                "step_index": i,
                "timestep": t,
                "prev_timestep": prev_of(s, t),
                "model_output": f32(mo),
                "variance_noise": f32(noise) if noise is not None else None,
                "prev_sample": f32(r.prev_sample),
            }
        )
        x = r.prev_sample
    out["trajectory"] = traj
    return out


DPM_VARIANTS = {
    "dpmpp_2m_default_20": (
        dict(), 20,
        "DPM-Solver++ 2M defaults (linspace, epsilon, midpoint, lower_order_final, final_sigmas_type zero), 20 steps",
    ),
    "dpmpp_2m_default_10": (dict(), 10, "defaults, 10 steps (< 15, so lower_order_final applies by length too)"),
    "dpmpp_2m_sigmamin_nolof_20": (
        dict(final_sigmas_type="sigma_min", lower_order_final=False), 20,
        "final_sigmas_type sigma_min + lower_order_final False: the last step is second order",
    ),
    "dpmpp_2m_sigmamin_lof_10_leading_off1": (
        dict(final_sigmas_type="sigma_min", timestep_spacing="leading", steps_offset=1), 10,
        "sigma_min final sigma, lower_order_final with 10 < 15 steps -> first-order last step; leading spacing, offset 1",
    ),
    "dpmpp_2m_euler_at_final_sigmamin_20": (
        dict(final_sigmas_type="sigma_min", euler_at_final=True), 20,
        "euler_at_final True with sigma_min: first-order last step",
    ),
    "dpmpp_2m_scaledlinear_v_trailing_20": (
        dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, prediction_type="v_prediction",
             timestep_spacing="trailing"), 20,
        "scaled_linear, v_prediction, trailing spacing, 20 steps",
    ),
    "dpmpp_2m_heun_sample_20": (
        dict(solver_type="heun", prediction_type="sample"), 20,
        "solver_type heun, sample prediction, 20 steps",
    ),
}


def make_dpm(name: str, overrides: dict, n: int, description: str, seed: int) -> dict:
    cfg_over = dict(algorithm_type="dpmsolver++", solver_order=2, **overrides)
    s = DPMSolverMultistepScheduler(**cfg_over)
    cfg = dict(s.config)
    out = scheduler_header("DPMSolverMultistepScheduler", s, description)
    out["final_step_rules"] = {
        "lower_order_final": cfg["lower_order_final"],
        "euler_at_final": cfg["euler_at_final"],
        "final_sigmas_type": cfg["final_sigmas_type"],
        "final_sooner": "no such option in diffusers DPMSolverMultistepScheduler",
        "rule": "last step is first order iff euler_at_final or (lower_order_final and len(timesteps) < 15) "
        "or final_sigmas_type == 'zero'; the first step is always first order (no history)",
    }
    out["set_timesteps"] = timesteps_table(DPMSolverMultistepScheduler, cfg_over)
    s.set_timesteps(n)
    out["num_inference_steps"] = n
    out["timesteps"] = [int(t) for t in s.timesteps]
    out["sigmas"] = f32(s.sigmas)
    out["sigmas_note"] = (
        "sigma = sqrt((1 - alphas_cumprod) / alphas_cumprod) at each timestep (float32), plus the final sigma "
        "(0 for final_sigmas_type zero, sigma at t=0 for sigma_min); alpha_t = 1/sqrt(sigma^2+1), sigma_t = sigma*alpha_t"
    )

    # Record which update each step used by wrapping the instance's update methods.
    used = []
    first, second = s.dpm_solver_first_order_update, s.multistep_dpm_solver_second_order_update

    def w1(*a, **k):
        used.append(1)
        return first(*a, **k)

    def w2(*a, **k):
        used.append(2)
        return second(*a, **k)

    s.dpm_solver_first_order_update = w1
    s.multistep_dpm_solver_second_order_update = w2

    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(SHAPE, generator=gen)
    traj = {
        "model": "model_output = 0.5 * sample + 0.1 * t / 1000 (float32; recorded per step)",
        "initial_sample": f32(x),
        "steps": [],
    }
    x_in, mos, prevs = x, [], []
    for i, t in enumerate(s.timesteps):
        t = int(t)
        mo = fake_model(x, t)
        r = s.step(mo, t, x)
        mos.append(mo)
        prevs.append(r.prev_sample)
        traj["steps"].append(
            {
                "step_index": i,
                "timestep": t,
                "model_output": f32(mo),
                "order": used[-1],
                "prev_sample": f32(r.prev_sample),
            }
        )
        x = r.prev_sample
    assert len(used) == n
    # Re-derive the whole trajectory in float64 from the recorded model outputs.
    ref_outs, ref_orders = ref_dpmpp_trajectory(s.sigmas.to(torch.float64).numpy(), cfg, x_in, mos)
    assert ref_orders == used, (ref_orders, used)
    for i, (a, b) in enumerate(zip(prevs, ref_outs)):
        check_close(f"{name} step {i}", a, b, tol=1e-4)
    out["trajectory"] = traj

    s2 = DPMSolverMultistepScheduler(**cfg_over)
    s2.set_timesteps(n)
    ts = [int(t) for t in s2.timesteps]
    out["add_noise_note"] = (
        "after set_timesteps(n), before any step: sigma looked up by the timestep's index in scheduler.timesteps "
        "(a timestep not in the schedule maps to the LAST index), noisy = alpha_t*x0 + sigma_t*noise"
    )
    out["add_noise"] = add_noise_cases(s2, gen, [(ts[0], ts[-1]), (ts[1], ts[n // 2])])
    return out


# --------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE, help="output directory (default: next to this script)")
    args = ap.parse_args()
    out_dir: Path = args.out

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    diffusers.utils.logging.set_verbosity_error()

    if not diffusers.__version__.startswith("0.42."):
        print(f"warning: fixtures were designed against diffusers 0.42.x, found {diffusers.__version__}", file=sys.stderr)

    written: list[Path] = []
    for name, case in UNET_CASES.items():
        written += make_unet(name, case, out_dir)

    sched_dir = out_dir / "schedulers"
    seed = 500
    for name, (over, desc) in DDPM_VARIANTS.items():
        seed += 1
        p = sched_dir / f"{name}.json"
        write_json(p, make_ddpm(name, over, desc, seed))
        written.append(p)
    p = sched_dir / "ddpm_trajectory_10.json"
    write_json(p, make_ddpm_trajectory(600))
    written.append(p)
    seed = 700
    for name, (over, eta, desc) in DDIM_VARIANTS.items():
        seed += 1
        p = sched_dir / f"{name}.json"
        write_json(p, make_ddim(name, over, eta, desc, seed))
        written.append(p)
    seed = 800
    for name, (over, n, desc) in DPM_VARIANTS.items():
        seed += 1
        p = sched_dir / f"{name}.json"
        write_json(p, make_dpm(name, over, n, desc, seed))
        written.append(p)

    files = {}
    total = 0
    for p in sorted(written):
        data = p.read_bytes()
        total += len(data)
        files[str(p.relative_to(out_dir))] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    write_json(out_dir / "manifest.json", {"format_version": FORMAT_VERSION, "versions": versions(), "files": files})

    width = max(len(k) for k in files)
    for k, v in files.items():
        print(f"{k:<{width}}  {v['bytes']:>8} B")
    print(f"{'total (' + str(len(files)) + ' files)':<{width}}  {total:>8} B  ({total / 1024:.1f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
