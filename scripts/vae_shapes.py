"""How well two default-model VAEs keep object shapes: encode → decode (posterior mean) at 64 px, side by side.

Each PNG in --frames (any size; resized to 64x64, the default model's frame size) is reconstructed by the VAE of
--vae-a and of --vae-b; prints the mean squared error over whole frames and over the object's pixels (those whose
colour is far from the frame's two most common colours: the background) and writes a grid (source | a | b per row,
3x enlarged) to --out. A VAE source is a diffusers `vae` folder (Models/default/vae) or a safetensors file of
weights for that folder's config (`vae-final.safetensors` in a `ctxedit train-default --work` folder).

The eighth session's comparison (docs/ARCHITECTURE.md, "Which caption words the model uses"): frames 0, 5, 10
and 15 of the four Samples clips, extracted with
    ffmpeg -i Samples/NAME.mp4 -vf "select='eq(n,0)+eq(n,5)+eq(n,10)+eq(n,15)'" -vsync 0 frames/NAME-%02d.png
and `python scripts/vae_shapes.py --frames frames --vae-a Models/default/vae --vae-b WORK/vae-final.safetensors`
in the fixtures' environment (.venv: torch + diffusers).
"""
import argparse
import glob
import os

import numpy as np
import torch
from diffusers import AutoencoderKL
from PIL import Image
from safetensors.torch import load_file


def load_vae(source, config_folder):
    if os.path.isdir(source):
        return AutoencoderKL.from_pretrained(source, torch_dtype=torch.float32, variant="fp16"
                                             if glob.glob(os.path.join(source, "*.fp16.safetensors")) else None)
    vae = AutoencoderKL.from_pretrained(config_folder, torch_dtype=torch.float32, variant="fp16")
    vae.load_state_dict({k: v.float() for k, v in load_file(source).items()}, strict=True)
    return vae


def object_mask(image):
    """Pixels whose colour (in steps of 16) is more than 2 steps from both of the two most common colours."""
    flat = (((image + 1) * 127.5).round().reshape(-1, 3) // 16).astype(int)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    background = colours[np.argsort(-counts)[:2]]
    distance = np.min([np.abs(flat - b).sum(1) for b in background], axis=0)
    return (distance > 2).reshape(image.shape[:2])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", required=True)
    parser.add_argument("--vae-a", required=True)
    parser.add_argument("--vae-b", required=True)
    parser.add_argument("--config", default="Models/default/vae", help="config folder for weight files")
    parser.add_argument("--out", default="vae-shapes.png")
    args = parser.parse_args()
    vaes = [("a", load_vae(args.vae_a, args.config)), ("b", load_vae(args.vae_b, args.config))]
    rows, whole, objects = [], {"a": [], "b": []}, {"a": [], "b": []}
    for path in sorted(glob.glob(os.path.join(args.frames, "*.png"))):
        image = np.asarray(Image.open(path).convert("RGB").resize((64, 64), Image.BILINEAR)).astype(np.float32)
        image = image / 127.5 - 1
        x = torch.from_numpy(image).permute(2, 0, 1)[None]
        mask = object_mask(image)
        row = [((image + 1) * 127.5).astype(np.uint8)]
        for name, vae in vaes:
            with torch.no_grad():
                y = vae.decode(vae.encode(x).latent_dist.mean).sample
            error = ((y - x) ** 2)[0].permute(1, 2, 0).numpy()
            whole[name].append(error.mean())
            if mask.any():
                objects[name].append(error[mask].mean())
            row.append(((y[0].permute(1, 2, 0).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8))
        rows.append(np.concatenate(row, 1))
    print(f"{len(rows)} frames; whole-frame MSE a {np.mean(whole['a']):.4f} b {np.mean(whole['b']):.4f}; "
          f"object-pixel MSE a {np.mean(objects['a']):.4f} b {np.mean(objects['b']):.4f}")
    grid = np.concatenate(rows, 0)
    Image.fromarray(grid).resize((grid.shape[1] * 3, grid.shape[0] * 3), Image.NEAREST).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
