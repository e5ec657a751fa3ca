#!/usr/bin/env python3
"""Per-layer reference outputs from PyTorch + diffusers for Phantom's layer tests.

Writes Tests/Fixtures/layers/<name>.safetensors, each holding the input `x`, the
layer's parameters under their PyTorch names, and the output `y` (float32, eval
mode, one thread, fixed seeds). Layers: Conv2d 3x3 stride 1 pad 1, 3x3 stride 2
pad 1, 3x3 stride 2 after diffusers' right/bottom pad (downsample_padding=0), 1x1;
GroupNorm; diffusers' Attention as AttnDownBlock2D builds it (multi-head and one
head with a rescale factor). Same venv as make_fixtures.py:

    /tmp/phantom-venv/bin/python Tests/Fixtures/make_layer_fixtures.py
"""
from pathlib import Path
import torch
import torch.nn.functional as F
from diffusers.models.attention_processor import Attention
from safetensors.torch import save_file

OUT = Path(__file__).resolve().parent / "layers"


def perturb(module, generator):
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(0.2 * torch.randn(parameter.shape, generator=generator))


def save(name, module, x, y):
    tensors = {"x": x.contiguous(), "y": y.detach().contiguous()}
    tensors.update({key: value.detach().contiguous() for key, value in module.state_dict().items()})
    save_file(tensors, str(OUT / f"{name}.safetensors"), metadata={"torch": torch.__version__})


def main():
    torch.set_num_threads(1)
    OUT.mkdir(exist_ok=True)
    generator = torch.Generator().manual_seed(1234)
    x = torch.randn(2, 3, 7, 6, generator=generator)
    for name, kernel, stride, padding, pad_right_bottom in [
        ("conv3x3_s1_p1", 3, 1, 1, False), ("conv3x3_s2_p1", 3, 2, 1, False),
        ("conv3x3_s2_pad_right_bottom", 3, 2, 0, True), ("conv1x1", 1, 1, 0, False),
    ]:
        torch.manual_seed(len(name))
        conv = torch.nn.Conv2d(3, 4, kernel, stride=stride, padding=padding)
        perturb(conv, generator)
        source = F.pad(x, (0, 1, 0, 1)) if pad_right_bottom else x
        save(name, conv, x, conv(source))

    norm = torch.nn.GroupNorm(2, 6, eps=1e-6)
    perturb(norm, generator)
    x6 = 3 * torch.randn(2, 6, 5, 4, generator=generator) + 1
    save("group_norm", norm, x6, norm(x6))

    for name, channels, head_dim, rescale in [("attention_heads2", 8, 4, 1.0), ("attention_one_head", 8, 8, 1.4142135623730951)]:
        torch.manual_seed(channels + head_dim)
        attention = Attention(channels, heads=channels // head_dim, dim_head=head_dim, rescale_output_factor=rescale,
                              eps=1e-5, norm_num_groups=2, residual_connection=True, bias=True, upcast_softmax=True,
                              _from_deprecated_attn_block=True).eval()
        perturb(attention, generator)
        xa = torch.randn(2, channels, 3, 4, generator=generator)
        with torch.no_grad():
            save(name, attention, xa, attention(xa))
    for path in sorted(OUT.iterdir()):
        print(path.name, path.stat().st_size)


if __name__ == "__main__":
    main()
