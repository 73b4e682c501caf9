"""PyTorch reference timings for `ctxedit-bench`: the same shapes with diffusers/transformers on CPU torch, fp32.

Prints one JSON object: {"threads": N, "torch": version, "cases": {name: {"ms": median, "runs": [...]}}}.
Weights are random (timings do not depend on values). Run by `make bench` through the ctxedit-bench executable
when `make bench-reference` has installed torch + diffusers into .venv-bench.

With --serve (how ctxedit-bench runs it) the models are built once, one line {"torch": version} says so, and then
each case name read from stdin is timed (warm-up, then --runs runs) and answered with one line
{"name": ..., "ms": median, "runs": [...]} (or {"name": ..., "error": ...}), so the two programs time each case
one right after the other on this shared machine instead of minutes apart. A line "once NAME" runs the case one
time and answers {"name": NAME, "ms": that run}: ctxedit-bench sends one per run of its own (and one for the
warm-up), so the two programs' runs alternate and a slow minute of the host falls on both.

usage: python scripts/bench_reference.py [--threads 2] [--runs 3] [--quick] [--cases a,b,...] [--serve]
"""
import argparse
import json
import statistics
import sys
import time

import torch


def sd15_unet():
    from diffusers import UNet2DConditionModel
    return UNet2DConditionModel(cross_attention_dim=768, attention_head_dim=8).eval()


def sd_vae():
    from diffusers import AutoencoderKL
    return AutoencoderKL(block_out_channels=(128, 256, 512, 512), layers_per_block=2,
                         down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                         latent_channels=4, norm_num_groups=32).eval()


def clip_text():
    from transformers import CLIPTextConfig, CLIPTextModel
    return CLIPTextModel(CLIPTextConfig(vocab_size=49408, hidden_size=768, intermediate_size=3072,
                                        num_hidden_layers=12, num_attention_heads=12, hidden_act="quick_gelu")).eval()


class SparseCausalSelfAttention:
    """Self-attention of a UNet run on a clip folded into the batch ([B·F, T, D], frame fastest), as ctxedit's
    `FrameAttention.sparseCausal`: frame f attends to the keys/values of frames 0 and f−1, frames 0 and 1 to frame
    0 alone (so the reference does the same work as ctxedit's 8-frame case, not plain per-frame attention)."""

    def __init__(self, frames: int):
        self.frames = frames

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, *args, **kwargs):
        import torch.nn.functional as F
        n, t, _ = hidden_states.shape
        f, h = self.frames, attn.heads
        q, k, v = attn.to_q(hidden_states), attn.to_k(hidden_states), attn.to_v(hidden_states)
        heads = lambda x: x.view(x.shape[0], x.shape[1], h, -1).transpose(1, 2)  # [N, heads, tokens, d]
        clip = lambda x: x.view(n // f, f, t, -1)
        k, v, out = clip(k), clip(v), torch.empty_like(q).view(n // f, f, t, -1)
        qc = clip(q)
        # Frames 0 and 1: keys of frame 0 only; frames 2…F−1: frame 0 then frame f−1.
        single = slice(0, min(2, f))
        keys = k[:, 0:1].expand(-1, single.stop, -1, -1)
        vals = v[:, 0:1].expand(-1, single.stop, -1, -1)
        o = F.scaled_dot_product_attention(heads(qc[:, single].reshape(-1, t, q.shape[-1])),
                                           heads(keys.reshape(-1, t, q.shape[-1])), heads(vals.reshape(-1, t, q.shape[-1])))
        out[:, single] = o.transpose(1, 2).reshape(n // f, single.stop, t, -1)
        if f > 2:
            rest = f - 2
            keys = torch.cat([k[:, 0:1].expand(-1, rest, -1, -1), k[:, 1:f - 1]], dim=2).reshape(-1, 2 * t, q.shape[-1])
            vals = torch.cat([v[:, 0:1].expand(-1, rest, -1, -1), v[:, 1:f - 1]], dim=2).reshape(-1, 2 * t, q.shape[-1])
            o = F.scaled_dot_product_attention(heads(qc[:, 2:].reshape(-1, t, q.shape[-1])), heads(keys), heads(vals))
            out[:, 2:] = o.transpose(1, 2).reshape(n // f, rest, t, -1)
        return attn.to_out[1](attn.to_out[0](out.view(n, t, -1)))


def with_frames(unet, frames, fn):
    """Runs fn with sparse-causal self-attention over `frames` frames in every transformer block."""
    from diffusers.models.attention_processor import AttnProcessor2_0
    names = unet.attn_processors.keys()
    unet.set_attn_processor({n: SparseCausalSelfAttention(frames) if "attn1" in n else AttnProcessor2_0() for n in names})
    try:
        return fn()
    finally:
        unet.set_attn_processor(AttnProcessor2_0())


def cases(quick: bool):
    """name -> zero-argument callable, the same list and names as ctxedit-bench."""
    side = 16 if quick else 32
    unet, vae, clip = sd15_unet(), sd_vae(), clip_text()
    ctx2 = torch.full((2, 77, 768), 0.1)
    ids = torch.arange(77).repeat(2, 1)
    out = {
        "text encoder 2x77": lambda: clip(ids),
        f"UNet b2 {side}x{side}": lambda: unet(torch.full((2, 4, side, side), 0.1), 500, ctx2),
        f"VAE decode {side * 8}px": lambda: vae.decode(torch.full((1, 4, side, side), 0.1)),
        f"VAE encode {side * 8}px": lambda: vae.encode(torch.full((1, 3, side * 8, side * 8), 0.1)),
    }
    if not quick:
        ctx16 = torch.full((16, 77, 768), 0.1)
        out["UNet b2 64x64"] = lambda: unet(torch.full((2, 4, 64, 64), 0.1), 500, ctx2)
        # 8 frames with guidance: batch 16 = 2 clips of 8 frames, sparse-causal self-attention as ctxedit's.
        out["UNet 8 frames b16 32x32"] = lambda: with_frames(unet, 8, lambda: unet(torch.full((16, 4, 32, 32), 0.1), 500, ctx16))
        out["VAE decode 512px"] = lambda: vae.decode(torch.full((1, 4, 64, 64), 0.1))
        tokens = (torch.arange(2 * 4096 * 320) % 97 / 97 - 0.5).float().view(2, 4096, 8, 40).transpose(1, 2)
        out["attention b2 8x4096x40"] = lambda: torch.nn.functional.scaled_dot_product_attention(tokens, tokens, tokens)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--cases", default="")
    p.add_argument("--serve", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    wanted = [c for c in a.cases.split(",") if c]

    def timed(fn):
        fn()  # warm-up
        runs = []
        for _ in range(a.runs):
            t = time.perf_counter()
            fn()
            runs.append((time.perf_counter() - t) * 1000)
        return {"ms": statistics.median(runs), "runs": runs}

    with torch.inference_mode():
        table = cases(a.quick)
        if a.serve:
            print(json.dumps({"threads": a.threads, "torch": torch.__version__}), flush=True)
            for line in sys.stdin:
                name = line.strip()
                once = name.startswith("once ")
                if once:
                    name = name[len("once "):]
                try:
                    if name not in table:
                        answer = {"name": name, "error": "no such case"}
                    elif once:
                        t = time.perf_counter()
                        table[name]()
                        answer = {"name": name, "ms": (time.perf_counter() - t) * 1000}
                    else:
                        answer = {"name": name, **timed(table[name])}
                except Exception as e:  # one failed case (out of memory, ...) leaves the others to time
                    answer = {"name": name, "error": f"{type(e).__name__}: {e}"}
                print(json.dumps(answer), flush=True)
            return
        results = {name: timed(fn) for name, fn in table.items() if not wanted or name in wanted}
    print(json.dumps({"threads": a.threads, "torch": torch.__version__, "cases": results}))


if __name__ == "__main__":
    main()
