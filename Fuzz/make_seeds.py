#!/usr/bin/env python3
"""Builds the seed corpora in Fuzz/corpus/<target>/ from the project's fixtures and samples (stdlib + the ffmpeg
command line). Run from the project root: python3 Fuzz/make_seeds.py. Deterministic apart from the
encoders' own run-to-run differences (FFV1, VP9); keeps the corpora small
(a few hundred KB in all). Shared media (/work/shared/media) is never copied: video seeds are the bundled
Samples/ clips, re-encoded small in other containers and mutated (truncated, bit-flipped, misnamed)."""
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")
FIX = os.path.join(ROOT, "Tests", "Fixtures")


def out(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def safetensors(entries, metadata=None, pad=0):
    """entries: [(name, dtype, shape, raw bytes)] → file bytes (offsets in order)."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode() + b" " * pad
    return struct.pack("<Q", len(text)) + text + data


def seeds_safetensors():
    for rel in ["randn/randn_native.safetensors", "grads/adamw.safetensors", "grads/schedules.safetensors"]:
        out("safetensors", os.path.basename(rel), read(os.path.join(FIX, rel)))
    f32 = struct.pack("<4f", 1.0, -2.5, 0.0, 3.25)
    every = [
        ("conv.weight", "F32", [1, 1, 2, 2], f32),
        ("norm.weight", "F16", [3], struct.pack("<3H", 0x3C00, 0xB800, 0x7BFF)),
        ("emb", "BF16", [2], struct.pack("<2H", 0x3F80, 0xC000)),
        ("step", "I64", [], struct.pack("<q", 7)),
        ("mask", "BOOL", [4], b"\x01\x00\x01\x01"),
        ("fp8", "F8_E4M3", [2], b"\x38\xb8"),
        ("d", "F64", [1], struct.pack("<d", 0.5)),
        ("u", "U16", [2], b"\x01\x00\x02\x00"),
        ("none", "F32", [0, 3], b""),
        ("scalar", "F32", [], struct.pack("<f", 0.25)),
    ]
    out("safetensors", "every-dtype.safetensors", safetensors(every, {"format": "pt", "é": "x"}, pad=5))
    out("safetensors", "empty-header.safetensors", safetensors([]))
    out("safetensors", "unaligned.safetensors", safetensors([("a", "F16", [1], b"\x00\x3c"), ("b", "F32", [1], f32[:4])]))
    out("safetensors", "escapes.safetensors",
        safetensors([("t\u00e9\\n\"\u2603", "F32", [1], f32[:4])], {"k": "\ud83d\ude00 \\u0000"}))
    # The tiny model's UNet header with its data cut: every entry, no bytes (header validation only).
    unet = read(os.path.join(FIX, "pipelines/sd1-tiny/unet/diffusion_pytorch_model.safetensors"))
    n = struct.unpack("<Q", unet[:8])[0]
    out("safetensors", "unet-header-cut.safetensors", unet[: 8 + n + 64])


def seeds_config():
    for rel, name in [
        ("pipelines/sd1-tiny/unet/config.json", "unet-sd1.json"),
        ("pipelines/sd2-tiny/unet/config.json", "unet-sd2.json"),
        ("pipelines/sd1-tiny/vae/config.json", "vae.json"),
        ("pipelines/sd1-tiny/text_encoder/config.json", "text-encoder.json"),
        ("pipelines/sd2-tiny/text_encoder/config.json", "text-encoder-gelu.json"),
        ("pipelines/sd1-tiny/scheduler/scheduler_config.json", "scheduler-sd1.json"),
        ("pipelines/sd2-tiny/scheduler/scheduler_config.json", "scheduler-sd2.json"),
        ("pipelines/sd1-tiny/tokenizer/tokenizer_config.json", "tokenizer-config-sd1.json"),
        ("pipelines/sd2-tiny/tokenizer/tokenizer_config.json", "tokenizer-config-sd2.json"),
    ]:
        out("config", name, read(os.path.join(FIX, rel)))
    out("config", "adapter.json", json.dumps({"latent_channels": 4, "patch_size": 2, "dim": 16, "layers": 1, "heads": 2,
                                               "context_dim": 32, "shift": "prior", "refinements": 2}, indent=1))
    out("config", "scheduler-linspace.json", json.dumps({"num_train_timesteps": 100, "beta_schedule": "squaredcos_cap_v2",
                                                          "timestep_spacing": "linspace", "steps_offset": 0,
                                                          "prediction_type": "sample", "trained_betas": None}))
    out("config", "scheduler-trailing.json", json.dumps({"timestep_spacing": "trailing", "set_alpha_to_one": True,
                                                          "clip_sample": True, "clip_sample_range": 0.5}))
    out("config", "empty.json", "{}")


def seeds_tokenizer():
    cases = json.load(open(os.path.join(FIX, "clip_vocab/clip_vocab_cases.json")))["cases"]
    rng = random.Random(9)
    picked = [c["text"] for c in cases[:8]] + [c["text"] for c in rng.sample(cases[8:], 24)]
    for i, text in enumerate(picked):
        out("tokenizer", "case-%02d.txt" % i, text)
    extra = {
        "specials.txt": "<|startoftext|>a red car<|endoftext|><|endoftext|> it's",
        "cjk.txt": "一只狗在草地上奔跑 犬 ネコ 고양이",
        "combining.txt": "cafe\u0301 e\u0301\u0301\u0301 \u1100\u1161\u11a8 <|endoftext|>\u0301",
        "emoji.txt": "a 🐶 dog 👨‍👩‍👧 family 🏳️‍🌈 flag",
        "controls.txt": "tab\there\r\nnul\x00 bell\x07 \u200b zw \ufeff bom \u00ad",
        "long-word.txt": "a" * 300 + " " + "ab" * 100,
        "numbers.txt": "1234567890 ١٢٣ ½ Ⅻ",
        "rtl.txt": "שלום مرحبا \u202e reversed",
        "contractions.txt": "it's we're they've I'm you'll he'd 'S 'T",
    }
    for name, text in extra.items():
        out("tokenizer", name, text)
    out("tokenizer", "invalid-utf8.bin", b"a red \xff\xfe car \xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82")


def ffmpeg(args):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y"] + args, check=True)


def seeds_video():
    samples = os.path.join(ROOT, "Samples")
    clips = sorted(f for f in os.listdir(samples) if f.endswith(".mp4"))
    for name in clips:
        out("video", name, read(os.path.join(samples, name)))
    src = os.path.join(samples, clips[0])
    have_ffmpeg = shutil.which("ffmpeg") is not None
    with tempfile.TemporaryDirectory() as tmp:
        small = ["-vf", "scale=32:24", "-frames:v", "4"]
        variants = [
            ("mjpeg.avi", ["-c:v", "mjpeg", "-q:v", "10"]),
            ("anim.gif", []),
            ("ffv1.mkv", ["-c:v", "ffv1"]),
            ("vp9.webm", ["-c:v", "libvpx-vp9", "-b:v", "20k", "-deadline", "realtime"]),
            ("mpeg4.mov", ["-c:v", "mpeg4", "-q:v", "10"]),
            ("rotated.mp4", ["-c:v", "mpeg4", "-metadata:s:v:0", "rotate=90"]),
            ("frame.png", ["-frames:v", "1"]),
        ]
        for name, codec in variants if have_ffmpeg else []:
            path = os.path.join(tmp, name)
            try:
                ffmpeg(["-i", src] + small + codec + [path])
                out("video", name, read(path))
            except subprocess.CalledProcessError:
                print("skipped %s (this ffmpeg cannot write it)" % name, file=sys.stderr)
    # Mutations of a real clip: truncated, bit-flipped, misnamed (the fuzz target picks the extension by length).
    base = read(os.path.join(samples, clips[1]))
    out("video", "truncated-60.mp4", base[: len(base) * 6 // 10])
    out("video", "truncated-header.mp4", base[:64])
    rng = random.Random(11)
    flipped = bytearray(base)
    for _ in range(24):
        i = rng.randrange(48, len(flipped))
        flipped[i] ^= 1 << rng.randrange(8)
    out("video", "bitflipped.mp4", bytes(flipped))
    out("video", "misnamed-extra-byte.bin", base + b"\x00")


PIPELINES = {
    "schema-full.yaml": """version: 1
model: ../models/tiny
input:
  clips:
    - clips/a.mp4
    - path: clips/b clip.mp4
      caption: a blue square
  caption: sidecar
frames:
  count: 2
  stride: 2
  start: 0.5s
  crop: {left: 2, top: 0, right: 2, bottom: 4}
  size: 16x16
sampler:
  steps: 2
  guidance: 7.5
  negative_prompt: blurry
  adapter: on
  frame_attention: window:1
  cache: false
edits:
  - a green triangle
  - prompt: a red circle
    name: red
    seed: 42
    guidance: 5
    negative_prompt: text
output:
  folder: out/fuzz
  formats: [mp4, gif]
  strip: true
  gallery: false
""",
    "schema-folder.yaml": """input: {folder: clips, caption: a clip}
frames: {count: 3, size: 32, crop: 8x8+1+1}
sampler: {steps: 50, frame_attention: all, cache: cache-dir}
edits: [a cat, a cat, a dog]
""",
    "schema-glob.yaml": """input:
  glob: clips/*.mp4
frames:
  start: 3
  size: original
sampler:
  frame_attention: sparse-causal
edits: a single prompt
""",
    "contextdiff.yaml": """pretrained_model_path: models/tiny
dataset_config:
  path: clips/a.mp4
  prompt: a gray dog
  n_sample_frame: 4
  sampling_rate: 1
  start_sample_frame: 0
  width: 16
  height: 16
  offset: {left: 0, right: 0, top: 0, bottom: 0}
editing_config:
  editing_prompts:
    - a golden retriever
    - a gray cat
  guidance_scale: 12.5
  num_inference_steps: "${.steps}"
  steps: 2
  clip_length: "${..dataset_config.n_sample_frame}"
  sample_seeds: [0, 7]
train_steps: 300
learning_rate: 3.0e-05
""",
    "anchors.yaml": """defaults: &d {count: 2, size: 16}
input: {clips: [clips/a.mp4]}
frames: *d
edits: [&p a red circle, *p]
""",
    "flow-and-quotes.yaml": """{"input": {"clips": ['clips/a.mp4', "clips/b clip.mp4"]}, "edits": ["a \\"quoted\\" prompt", 'it''s fine'], "sampler": {"steps": 1000}}
""",
    "multi-doc.yaml": """input: {clips: [clips/a.mp4]}
edits: [x]
---
edits: [y]
""",
    "bad-indent.yaml": """input:
  clips:
  - a.mp4
 edits: [x]
""",
}


def seeds_pipeline():
    for name, text in PIPELINES.items():
        out("pipeline", name, text)


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    seeds_safetensors()
    seeds_config()
    seeds_tokenizer()
    seeds_video()
    seeds_pipeline()
    total = 0
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        size = sum(os.path.getsize(os.path.join(CORPUS, target, f)) for f in files)
        total += size
        print("%-12s %3d seeds %7d bytes" % (target, len(files), size))
    print("total %d bytes" % total)


if __name__ == "__main__":
    main()
