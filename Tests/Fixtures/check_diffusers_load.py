#!/usr/bin/env python3
"""Shows that a model folder written by Phantom is a diffusers model.

Loads MODEL with `DDPMPipeline.from_pretrained` and `UNet2DModel.from_pretrained`,
runs the U-Net on random inputs (three timesteps, class labels when the model is
class-conditional), runs `phantom forward` on the same inputs, and prints the
largest difference. Run by hand (needs the venv of Tests/Fixtures/README.md):

    python Tests/Fixtures/check_diffusers_load.py RUN/model .build/release/phantom
"""
import subprocess, sys, tempfile, os
import torch
from diffusers import DDPMPipeline, UNet2DModel
from safetensors.torch import load_file, save_file


def main(model, phantom):
    pipeline = DDPMPipeline.from_pretrained(model)
    unet = UNet2DModel.from_pretrained(os.path.join(model, "unet")).eval()
    config = unet.config
    torch.manual_seed(0)
    sample = torch.randn(3, config.in_channels, config.sample_size, config.sample_size)
    timesteps = torch.tensor([0, 500, 999], dtype=torch.int64)
    inputs, extra = {"sample": sample, "timestep": timesteps}, {}
    if config.num_class_embeds:
        labels = torch.tensor([0, 1, config.num_class_embeds - 1], dtype=torch.int64)
        inputs["class_labels"] = labels
        extra["class_labels"] = labels
    with torch.no_grad():
        reference = unet(sample, timesteps, **extra).sample
    with tempfile.TemporaryDirectory() as folder:
        source, target = os.path.join(folder, "in.safetensors"), os.path.join(folder, "out.safetensors")
        save_file(inputs, source)
        subprocess.run([phantom, "forward", model, "--input", source, "--output", target], check=True)
        ours = load_file(target)["sample"]
    difference = (ours - reference).abs().max().item()
    relative = ((ours - reference).norm() / reference.norm()).item()
    print(f"pipeline: {type(pipeline).__name__} with {type(pipeline.scheduler).__name__}; "
          f"max |phantom - diffusers| = {difference:.3g}, relative L2 = {relative:.3g}")
    return 0 if relative < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
