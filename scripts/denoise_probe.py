"""How well a default-model UNet denoises in one step: x̂₀ of a drawn large red square at several timesteps.

For each model folder (diffusers layout: Models/default, or a `ctxedit train-default --out` folder), a 64x64 frame
with a red square (corners at 20 and 44 px) on gray is encoded (posterior mean × scaling factor), noised to x_t at
t = 100, 300, 500, 700, 900 (one fixed noise draw), and the UNet's prediction, read per the scheduler's
prediction type, is turned into x̂₀ and decoded. Prints ‖x̂₀ − x₀‖² per latent element for each t (the noise alone,
x_t/√ᾱ_t, would give (1 − ᾱ_t)/ᾱ_t) and writes one row per model (source | x̂₀ at each t, 2x enlarged) to --out.
Plain diffusers modules, without the ContextDiff shift k_t·r (`ctxedit generate` drew equally noisy pictures
from these models with `--adapter on` and `off`).

The tenth session's use (docs/ARCHITECTURE.md, "Which caption words the model uses"):
    .venv/bin/python scripts/denoise_probe.py --out /tmp/probe.png Models/default
in the fixtures' environment (.venv: torch + diffusers + transformers).
"""
import argparse

import numpy as np
import torch
from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
from PIL import Image, ImageDraw
from transformers import CLIPTextModel, CLIPTokenizer

TIMESTEPS = [100, 300, 500, 700, 900]


def square_frame():
    image = Image.new("RGB", (64, 64), (128, 128, 128))
    ImageDraw.Draw(image).rectangle([20, 20, 44, 44], fill=(220, 30, 30))
    return image


def to_image(decoded):
    return Image.fromarray(((decoded[0].clamp(-1, 1) + 1) * 127.5).permute(1, 2, 0).byte().numpy())


def probe(folder, prompt, seed):
    kwargs = dict(variant="fp16", torch_dtype=torch.float32)
    unet = UNet2DConditionModel.from_pretrained(folder + "/unet", **kwargs)
    vae = AutoencoderKL.from_pretrained(folder + "/vae", **kwargs)
    text_encoder = CLIPTextModel.from_pretrained(folder + "/text_encoder", **kwargs)
    tokenizer = CLIPTokenizer.from_pretrained(folder + "/tokenizer")
    scheduler = DDIMScheduler.from_pretrained(folder + "/scheduler")
    scale = vae.config.scaling_factor
    source = square_frame()
    pixels = torch.tensor(np.asarray(source)).permute(2, 0, 1)[None].float() / 127.5 - 1
    row, errors = [source], []
    with torch.no_grad():
        x0 = vae.encode(pixels).latent_dist.mean * scale
        ids = tokenizer([prompt], padding="max_length", max_length=tokenizer.model_max_length, return_tensors="pt").input_ids
        context = text_encoder(ids)[0]
        generator = torch.Generator().manual_seed(seed)
        for t in TIMESTEPS:
            a = scheduler.alphas_cumprod[t]
            noise = torch.randn(x0.shape, generator=generator)
            xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
            out = unet(xt, torch.tensor([t]), encoder_hidden_states=context).sample
            if scheduler.config.prediction_type == "v_prediction":
                estimate = a.sqrt() * xt - (1 - a).sqrt() * out
            else:
                estimate = (xt - (1 - a).sqrt() * out) / a.sqrt()
            errors.append((t, float(((estimate - x0) ** 2).mean()), float((1 - a) / a)))
            row.append(to_image(vae.decode(estimate / scale).sample))
    return row, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="model folders (diffusers layout)")
    parser.add_argument("--out", required=True, help="PNG grid to write")
    parser.add_argument("--prompt", default="a large red square resting on a gray background")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for folder in args.models:
        row, errors = probe(folder, args.prompt, args.seed)
        rows.append(row)
        print(folder + ": " + ", ".join(f"t={t}: {e:.4f} (noise alone {n:.3f})" for t, e, n in errors))
    grid = Image.new("RGB", (len(rows[0]) * 66, len(rows) * 66))
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            grid.paste(image, (c * 66, r * 66))
    grid.resize((grid.width * 2, grid.height * 2), Image.NEAREST).save(args.out)


if __name__ == "__main__":
    main()
