#!/usr/bin/env python3
"""Build the numerical reference fixtures (golden files) under Tests/Fixtures/.

Every model here is a tiny configuration with random weights drawn from fixed seeds, so no model is downloaded.
The Swift tests load the saved weights, run the same inputs and compare against the saved outputs; Python is
needed only to regenerate the files, never at test time.

Usage (normally through scripts/make-fixtures.sh):

    .venv/bin/python scripts/make_fixtures.py                 # all fixtures
    .venv/bin/python scripts/make_fixtures.py --only scheduler randn

Fixture folders (one function each, in the order they are built):

    tokenizer/        tiny CLIP BPE vocabulary (vocab.json, merges.txt) + tokenizer_cases.json
    clip_text/        tiny CLIPTextModel, quick_gelu  (config.json, model.safetensors, io.safetensors)
    clip_text_gelu/   the same with hidden_act "gelu"
    vae/              tiny AutoencoderKL               (config.json, diffusion_pytorch_model.safetensors, io.safetensors)
    unet/             tiny UNet2DConditionModel        (+ io.safetensors, unet_intermediates.safetensors)
    unet_text/        the tiny UNet with addition_embed_type "text" (TextTimeEmbedding added to the time embedding)
    scheduler/        DDIMScheduler / DDIMInverseScheduler timesteps and step() outputs
    randn/            torch CPU randn outputs for a few seeds and shapes
    clip_vocab/       the full CLIP BPE vocabulary (from the open_clip_torch wheel) + clip_vocab_cases.json
    pipelines/        tiny SD-1.x / SD-2.x StableDiffusionPipeline folders (+ an fp16-variant copy) with
                      reference.safetensors / reference.json
    grads/            gradients of the unet/ model, AdamW / clip_grad_norm_ / LR-schedule trajectories

The only download is the open_clip_torch wheel (pip download --no-deps into .venv/wheels/), read for CLIP's merges.

Conventions: float32 everywhere (integer ids also as int64 where stated), tensor names are the module paths of
the reference models, one README.md per folder with the library versions and seeds.
"""

from __future__ import annotations

import argparse
import collections
import copy
import ctypes
import ctypes.util
import functools
import gzip
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# No hub access: make every library fail fast instead of trying the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "Tests" / "Fixtures"
REGENERATE = "scripts/make-fixtures.sh"

MAX_LENGTH = 77  # CLIP context length (tokenizer model_max_length and max_position_embeddings)
BOS = "<|startoftext|>"
EOS = "<|endoftext|>"


# ------------------------------------------------------------------------------------------------------------------
# Shared helpers
# ------------------------------------------------------------------------------------------------------------------


def library_versions() -> dict[str, str]:
    """Versions of the libraries that produce the fixtures (recorded in every README and JSON)."""
    names = ["torch", "diffusers", "transformers", "tokenizers", "safetensors", "numpy"]
    versions = {"python": platform.python_version()}
    for name in names:
        versions[name] = importlib.metadata.version(name)
    return versions


def fresh_dir(path: Path) -> Path:
    """Remove and recreate one fixture folder, so no stale file survives a regeneration."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def save_tensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    """Save tensors as safetensors: half-precision floats widened to float32, float32/float64/integers as they are."""
    out = {}
    for name, tensor in tensors.items():
        tensor = tensor.detach().cpu()
        if tensor.dtype in (torch.float16, torch.bfloat16):
            tensor = tensor.to(torch.float32)
        out[name] = tensor.clone().contiguous()  # clone: safetensors refuses views that share memory
    save_file(out, str(path), metadata=metadata)


def compact_json(value, indent: int = 0) -> str:
    """JSON with two-space indentation, except that lists of numbers/strings/booleans stay on one line."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {compact_json(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + compact_json(v, indent + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def write_json(path: Path, value) -> None:
    """Write JSON with stable formatting (UTF-8, scalar lists on one line, trailing newline)."""
    path.write_text(compact_json(value) + "\n", encoding="utf-8")


def shape_table(path: Path) -> list[str]:
    """Markdown lines listing every tensor of a safetensors file with its dtype and shape."""
    lines = [f"`{path.name}`:", ""]
    for name, tensor in load_file(str(path)).items():
        dtype = str(tensor.dtype).replace("torch.", "")
        lines.append(f"- `{name}`: {dtype} {list(tensor.shape)}")
    lines.append("")
    return lines


def write_readme(folder: Path, title: str, body: list[str], seeds: str) -> None:
    """Write a folder's README.md: what it holds, the seeds, the exact versions, and how to regenerate."""
    versions = library_versions()
    lines = [f"# {title}", "", *body, "", f"Seeds: {seeds}.", "", "Produced with:", ""]
    lines += [f"- {name} {version}" for name, version in versions.items()]
    lines += [
        "",
        f"Generated by `scripts/make_fixtures.py` (run `{REGENERATE}`); do not edit by hand.",
        "",
    ]
    (folder / "README.md").write_text("\n".join(lines), encoding="utf-8")


def perturb_constant_parameters(model: torch.nn.Module, seed: int) -> None:
    """Give every constant-initialised parameter (norm scales of 1, zero biases) random values.

    Default initialisation leaves LayerNorm/GroupNorm weights at 1 and many biases at 0, so a port that drops or
    transposes them would still pass. Scales become 1 + 0.1·N(0,1) and zero tensors 0.05·N(0,1).
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, parameter in sorted(model.named_parameters()):
            if parameter.numel() < 2 or not bool((parameter == parameter.flatten()[0]).all()):
                continue
            noise = torch.randn(parameter.shape, generator=generator)
            if float(parameter.flatten()[0]) == 0.0:
                parameter.copy_(0.05 * noise)
            else:
                parameter.copy_(parameter + 0.1 * noise)


# ------------------------------------------------------------------------------------------------------------------
# a. Tokenizer
# ------------------------------------------------------------------------------------------------------------------

# Words that must become single tokens. Contractions are here because CLIP's pre-tokenizer regex splits
# "it's" into "it" + "'s", and real CLIP has those suffixes as single tokens.
TOKENIZER_WORDS = """
a red green blue yellow circle square triangle star moving left right up down on background gradient
porsche car driving curvy road the of with and dog cat sitting mat
in at to is it an white black orange purple small big large slowly fast over under photo
's 't 're 've 'm 'll 'd
""".split()

# Frequent words and pieces get extra weight so that the learned merges look like a real vocabulary
# (common pieces such as "ing</w>" are shared by several words).
TOKENIZER_WORD_WEIGHTS = {"a": 8, "the": 8, "of": 5, "with": 4, "and": 5, "on": 5, "red": 3, "moving": 3}

TOKENIZER_CASES = [
    "a red circle moving left",
    "A RED Circle Moving LEFT",
    "a red circle, moving left!",
    "a blue square on a yellow background.",
    "a porsche car driving on a curvy road",
    "3 cats and 12 dogs in 2024, 1.5x speed",
    "it's a dog; don't move",
    "IT'S the cat's mat, we're here, I'm sure you'll see she'd they've",
    "a café au lait",
    "a cafe\u0301 au lait (decomposed accent)",
    "naïve résumé, ÀÉÎÕÜ, straße",
    "İstanbul",
    "a cat 🐱 sitting on a mat 🙂👍🏽",
    "一只猫 sitting on the mat",
    "東京タワー at night",
    "a   red\tcircle\n\nmoving  left  ",
    "\u00a0non\u00a0breaking\u3000spaces ",
    "a\u200bzero\u200bwidth and a\u0000null",
    "dog &amp; cat &lt;3 &quot;quoted&quot;",
    "a-red_circle/moving.left",
    "!!! ??? ... ,,,",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
    "unknownword xyzzy supercalifragilistic",
    f"{BOS}a dog{EOS}",
    "",
    " ".join(
        ["a red circle moving left on a blue background with a yellow star and a green triangle sitting on a mat"] * 5
    ),
]


def bytes_to_unicode() -> dict[int, str]:
    """CLIP's (and GPT-2's) reversible byte → printable-character table.

    Printable Latin-1 bytes map to themselves; the other 68 bytes map to code points 256, 257, ... in byte order.
    The order of this dict is the order of the first 256 vocabulary entries.
    """
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    table = {byte: chr(byte) for byte in printable}
    extra = 0
    for byte in range(256):
        if byte not in table:
            table[byte] = chr(256 + extra)
            extra += 1
    return table


def word_symbols(word: str, byte_table: dict[int, str]) -> tuple[str, ...]:
    """A word as CLIP's BPE sees it: byte-level characters, the last one with the end-of-word marker."""
    symbols = [byte_table[b] for b in word.encode("utf-8")]
    symbols[-1] += "</w>"
    return tuple(symbols)


def learn_bpe_merges(weighted_words: dict[str, int]) -> list[tuple[str, str]]:
    """Plain BPE training: merge the most frequent adjacent pair until every word is one symbol.

    Ties are broken by the pair's text so the result is deterministic.
    """
    byte_table = bytes_to_unicode()
    corpus = {word_symbols(word, byte_table): count for word, count in weighted_words.items()}
    merges: list[tuple[str, str]] = []
    while True:
        pair_counts: collections.Counter[tuple[str, str]] = collections.Counter()
        for symbols, count in corpus.items():
            for pair in zip(symbols, symbols[1:]):
                pair_counts[pair] += count
        if not pair_counts:
            return merges
        best = min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))
        merges.append(best)
        corpus = {merge_pair(symbols, best): count for symbols, count in corpus.items()}


def merge_pair(symbols: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    """Replace every occurrence of `pair` in `symbols` by its concatenation (left to right)."""
    out: list[str] = []
    index = 0
    while index < len(symbols):
        if index + 1 < len(symbols) and (symbols[index], symbols[index + 1]) == pair:
            out.append(symbols[index] + symbols[index + 1])
            index += 2
        else:
            out.append(symbols[index])
            index += 1
    return tuple(out)


def write_clip_vocabulary(folder: Path) -> dict[str, int]:
    """Learn the tiny vocabulary's merges and write it in the layout of an SD `tokenizer/` folder."""
    weighted = {word: TOKENIZER_WORD_WEIGHTS.get(word, 1) for word in TOKENIZER_WORDS}
    merges = learn_bpe_merges(weighted)
    try:
        return write_tokenizer_files(folder, merges)
    except ValueError as error:
        raise RuntimeError(f"{error}; change TOKENIZER_WORDS") from error


def write_tokenizer_files(folder: Path, merges: list[tuple[str, str]], pad_token: str = EOS) -> dict[str, int]:
    """Write a CLIP tokenizer folder for the given merges and return its vocabulary (token → id).

    Vocabulary order is CLIP's: the 256 byte characters, the same 256 with "</w>", one entry per merge (the two
    halves joined), then <|startoftext|> and <|endoftext|>. Files: vocab.json, merges.txt (with the
    `#version: 0.2` header line), special_tokens_map.json, tokenizer_config.json.
    """
    byte_chars = list(bytes_to_unicode().values())
    entries = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m) for m in merges] + [BOS, EOS]
    if len(set(entries)) != len(entries):
        raise ValueError("the merges produce a duplicate vocabulary entry")
    vocab = {token: index for index, token in enumerate(entries)}

    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    merge_lines = ["#version: 0.2"] + [f"{left} {right}" for left, right in merges]
    (folder / "merges.txt").write_text("\n".join(merge_lines) + "\n", encoding="utf-8")
    special = {"bos_token": BOS, "eos_token": EOS, "unk_token": EOS, "pad_token": pad_token}
    write_json(folder / "special_tokens_map.json", special)
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": MAX_LENGTH,
        "do_lower_case": True,
        "errors": "replace",
        "add_prefix_space": False,
        **special,
    }
    write_json(folder / "tokenizer_config.json", config)
    return vocab


def make_tokenizer(out: Path):
    """Fixture a: tiny CLIP vocabulary plus slow-tokenizer outputs for tricky prompts. Returns the tokenizer."""
    from transformers import CLIPTokenizer, CLIPTokenizerFast

    folder = fresh_dir(out / "tokenizer")
    vocab = write_clip_vocabulary(folder)
    slow = CLIPTokenizer.from_pretrained(str(folder))
    fast = CLIPTokenizerFast.from_pretrained(str(folder), from_slow=True)
    if slow.model_max_length != MAX_LENGTH or slow.pad_token != EOS:
        raise RuntimeError("tokenizer config was not picked up")

    for word in TOKENIZER_WORDS:
        expected = ["".join(word_symbols(word, bytes_to_unicode()))]
        if slow.tokenize(word) != expected:
            raise RuntimeError(f"vocabulary word {word!r} is not a single token: {slow.tokenize(word)}")

    ftfy_installed = slow.fix_text is not None
    if ftfy_installed:
        raise RuntimeError("ftfy is installed in this environment; uninstall it (`.venv/bin/pip uninstall ftfy`): "
                           "the fixtures record the slow tokenizer's BasicTokenizer fallback")
    cleaning_path = (
        "ftfy.fix_text + whitespace_clean + lower()"
        if ftfy_installed
        else "BasicTokenizer(strip_accents=False, do_split_on_punc=False) fallback (ftfy not installed)"
    )

    cases = []
    for text in TOKENIZER_CASES:
        encoded = slow(text, padding="max_length", max_length=MAX_LENGTH, truncation=True)
        unpadded = slow(text)["input_ids"]
        fast_ids = fast(text, padding="max_length", max_length=MAX_LENGTH, truncation=True)["input_ids"]
        case = {
            "text": text,
            "input_ids": encoded["input_ids"],
            "attention_mask": encoded["attention_mask"],
            "tokens": slow.convert_ids_to_tokens(unpadded),
            "untruncated_length": len(unpadded),
            "fast_tokenizer_matches": fast_ids == encoded["input_ids"],
        }
        if fast_ids != encoded["input_ids"]:
            case["fast_input_ids"] = fast_ids
        cases.append(case)

    document = {
        "description": "transformers CLIPTokenizer (slow, Python) on the tiny vocabulary in this folder, "
        "called as tokenizer(text, padding='max_length', max_length=77, truncation=True)",
        "ftfy_installed": ftfy_installed,
        "text_cleaning_path": cleaning_path,
        "vocab_size": len(vocab),
        "bos_token_id": vocab[BOS],
        "eos_token_id": vocab[EOS],
        "pad_token_id": vocab[EOS],
        "model_max_length": MAX_LENGTH,
        "versions": library_versions(),
        "cases": cases,
    }
    write_json(folder / "tokenizer_cases.json", document)

    mismatches = [c["text"] for c in cases if not c["fast_tokenizer_matches"]]
    write_readme(
        folder,
        "Tiny CLIP tokenizer",
        [
            "A CLIP byte-level BPE vocabulary built by `make_fixtures.py` in CLIP's file format "
            f"({len(vocab)} entries: 256 byte characters, the same with `</w>`, {len(vocab) - 514} merges, "
            f"`{BOS}` = {vocab[BOS]}, `{EOS}` = {vocab[EOS]}).",
            "",
            "- `vocab.json`, `merges.txt` (first line `#version: 0.2`), `tokenizer_config.json`, "
            "`special_tokens_map.json`: the layout of a Stable Diffusion `tokenizer/` folder.",
            "- `tokenizer_cases.json`: for each prompt, `input_ids` and `attention_mask` padded with "
            f"`{EOS}` and truncated to {MAX_LENGTH}, `tokens` (unpadded BPE strings) and `untruncated_length`.",
            "",
            f"Reference: transformers' slow `CLIPTokenizer`. ftfy installed: {ftfy_installed}, so text cleaning "
            f"is the {cleaning_path}.",
            "`fast_tokenizer_matches` says whether `CLIPTokenizerFast` (converted from the same files) agrees; "
            f"where it does not, `fast_input_ids` holds its ids. Disagreements: {len(mismatches)} of {len(cases)}"
            + (": " + "; ".join(repr(t) for t in mismatches) if mismatches else "") + ".",
            "",
            "Words built as single tokens: " + " ".join(f"`{w}`" for w in TOKENIZER_WORDS) + ".",
        ],
        seeds="none (deterministic BPE training, ties broken by pair text)",
    )
    return slow


# ------------------------------------------------------------------------------------------------------------------
# b. CLIP text encoder
# ------------------------------------------------------------------------------------------------------------------

CLIP_PROMPTS = ["a red circle moving left", "A porsche car driving on a curvy road, café 🙂"]


def make_clip_text(out: Path, tokenizer, hidden_act: str, folder_name: str, seed: int) -> None:
    """Fixture b: tiny CLIPTextModel with random weights, its config/weights and outputs for two prompts."""
    from transformers import CLIPTextConfig, CLIPTextModel

    folder = fresh_dir(out / folder_name)
    vocab = tokenizer.get_vocab()
    config = CLIPTextConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=MAX_LENGTH,
        hidden_act=hidden_act,
        projection_dim=32,
        bos_token_id=vocab[BOS],
        eos_token_id=vocab[EOS],
        pad_token_id=vocab[EOS],
    )
    torch.manual_seed(seed)
    model = CLIPTextModel._from_config(config, attn_implementation="eager").eval()
    perturb_constant_parameters(model, seed + 1)
    model.save_pretrained(str(folder), safe_serialization=True)

    input_ids = tokenizer(CLIP_PROMPTS, padding="max_length", max_length=MAX_LENGTH, truncation=True,
                          return_tensors="pt")["input_ids"]
    with torch.no_grad():
        result = model(input_ids=input_ids, output_hidden_states=True)
    tensors = {
        "input_ids": input_ids.to(torch.int64),
        "input_ids_f32": input_ids.to(torch.float32),
        "last_hidden_state": result.last_hidden_state,
        "pooler_output": result.pooler_output,
    }
    for index, hidden in enumerate(result.hidden_states):
        tensors[f"hidden_states.{index}"] = hidden
    save_tensors(folder / "io.safetensors", tensors, metadata={"prompts": json.dumps(CLIP_PROMPTS)})

    write_readme(
        folder,
        f"Tiny CLIPTextModel ({hidden_act})",
        [
            "transformers `CLIPTextModel` with random weights: vocab_size "
            f"{len(vocab)} (the tiny vocabulary in `../tokenizer`), hidden_size 32, intermediate_size 37, "
            f"2 layers, 4 heads, max_position_embeddings {MAX_LENGTH}, hidden_act `{hidden_act}`, "
            "layer_norm_eps 1e-5, eager attention with the causal mask and no padding mask (as Stable Diffusion).",
            "",
            "- `config.json`, `model.safetensors`: `save_pretrained(..., safe_serialization=True)`; keys are "
            "`text_model.embeddings.token_embedding.weight`, `text_model.encoder.layers.0.self_attn.q_proj.weight`, ...",
            "- `io.safetensors`: the two prompts " + " and ".join(f"`{p}`" for p in CLIP_PROMPTS)
            + " (also in the file's metadata) tokenized with `../tokenizer`, padded to 77 with `<|endoftext|>`.",
            "  `input_ids` is int64; `input_ids_f32` holds the same ids as float32.",
            "  `hidden_states.0` is the embedding output, `hidden_states.1`/`.2` the outputs of each encoder layer "
            "(before `final_layer_norm`); `last_hidden_state` is after `final_layer_norm`; `pooler_output` is "
            "`last_hidden_state` at the first `<|endoftext|>` of each row.",
            "",
            "Norm scales and zero-initialised biases were perturbed (1 + 0.1·N(0,1), 0.05·N(0,1)) so that "
            "dropping them shows up.",
            "",
            *shape_table(folder / "io.safetensors"),
        ],
        seeds=f"torch.manual_seed({seed}) before construction, perturbation generator seed {seed + 1}",
    )


# ------------------------------------------------------------------------------------------------------------------
# c. VAE
# ------------------------------------------------------------------------------------------------------------------


def capture_outputs(model: torch.nn.Module, names: list[str], store: dict[str, torch.Tensor]):
    """Register forward hooks that copy the named submodules' outputs into `store`.

    Tuple outputs (the down blocks' `(hidden_states, res_samples)`) are flattened as `name` and `name.res_samples.i`;
    a residual that is the very tensor of `name` (the last one of each down block) is not stored twice.
    Returns the hook handles (call `.remove()` on each when done).
    """
    modules = dict(model.named_modules())
    handles = []
    for name in names:

        def hook(_module, _inputs, output, name=name):
            if isinstance(output, tuple):
                store[name] = output[0].detach().clone()
                for index, residual in enumerate(output[1]):
                    if residual is output[0]:
                        continue
                    store[f"{name}.res_samples.{index}"] = residual.detach().clone()
            else:
                store[name] = output.detach().clone()

        handles.append(modules[name].register_forward_hook(hook))
    return handles


def make_vae(out: Path, seed: int) -> None:
    """Fixture c: tiny AutoencoderKL, posterior of a random image and decoding of a random latent."""
    from diffusers import AutoencoderKL

    folder = fresh_dir(out / "vae")
    torch.manual_seed(seed)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        block_out_channels=(32, 64),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=32,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
    ).eval()
    vae.set_default_attn_processor()
    perturb_constant_parameters(vae, seed + 1)
    vae.save_pretrained(str(folder), safe_serialization=True)

    generator = torch.Generator().manual_seed(seed + 2)
    image = torch.rand((1, 3, 32, 32), generator=generator) * 2 - 1
    latent = torch.randn((1, 4, 16, 16), generator=generator)

    intermediates: dict[str, torch.Tensor] = {}
    # Only the 16×16 activations: the 32×32 ones would dominate the folder's size.
    names = ["encoder.down_blocks.0", "encoder.mid_block", "encoder", "post_quant_conv", "decoder.mid_block"]
    handles = capture_outputs(vae, names, intermediates)
    with torch.no_grad():
        posterior = vae.encode(image).latent_dist
        decoded = vae.decode(latent).sample
    for handle in handles:
        handle.remove()

    # A seeded posterior sample, as pipelines draw it: latent_dist.sample(generator) with a CPU generator.
    latent_sample = posterior.sample(generator=torch.Generator().manual_seed(7))
    tensors = {
        "image": image,
        "latent_mean": posterior.mean,
        "latent_logvar": posterior.logvar,
        "latent_sample_seed7": latent_sample,
        "latent": latent,
        "decoded": decoded,
    }
    tensors.update({f"intermediate.{name}": value for name, value in intermediates.items()})
    save_tensors(folder / "io.safetensors", tensors)

    write_readme(
        folder,
        "Tiny AutoencoderKL",
        [
            "diffusers `AutoencoderKL` with random weights: block_out_channels [32, 64], layers_per_block 1, "
            "latent_channels 4, norm_num_groups 8, sample_size 32, DownEncoderBlock2D ×2, UpDecoderBlock2D ×2, "
            "quant_conv/post_quant_conv present, plain (non-SDPA) attention processor in the mid block.",
            "",
            "- `config.json`, `diffusion_pytorch_model.safetensors`: `save_pretrained(..., safe_serialization=True)`.",
            "- `io.safetensors`:",
            "  - `image` [1,3,32,32] uniform in [-1, 1) → `vae.encode(image).latent_dist`: `latent_mean`, "
            "`latent_logvar` (already clamped to [-30, 20] by diffusers).",
            "  - `latent` [1,4,16,16] N(0,1) → `vae.decode(latent).sample` = `decoded` (no scaling_factor applied; "
            "the pipeline multiplies by 1/0.18215 before decoding).",
            "  - `intermediate.<module path>`: outputs of submodules for debugging; encoder ones come from the "
            "encode call, `post_quant_conv` and decoder ones from the decode call. `intermediate.encoder` is "
            "before `quant_conv`.",
            "",
            "Norm scales and zero-initialised biases were perturbed (1 + 0.1·N(0,1), 0.05·N(0,1)).",
            "",
            *shape_table(folder / "io.safetensors"),
        ],
        seeds=f"torch.manual_seed({seed}) before construction, perturbation seed {seed + 1}, "
        f"inputs from torch.Generator().manual_seed({seed + 2}) (image via torch.rand, then latent via torch.randn)",
    )


# ------------------------------------------------------------------------------------------------------------------
# d. UNet
# ------------------------------------------------------------------------------------------------------------------


def save_unet_io(unet, folder: Path, seed: int, sample_size: int, captured: list[str]) -> None:
    """A batch of two through `unet`: io.safetensors (`sample` [2,4,S,S] then `encoder_hidden_states` [2,7,32]
    from torch.Generator().manual_seed(seed), `timesteps` [10, 500], `output`) and unet_intermediates.safetensors
    (the forward-hook outputs of the `captured` modules)."""
    generator = torch.Generator().manual_seed(seed)
    sample = torch.randn((2, 4, sample_size, sample_size), generator=generator)
    encoder_hidden_states = torch.randn((2, 7, 32), generator=generator)
    timesteps = torch.tensor([10.0, 500.0], dtype=torch.float32)
    intermediates: dict[str, torch.Tensor] = {}
    handles = capture_outputs(unet, captured, intermediates)
    with torch.no_grad():
        output = unet(sample, timesteps, encoder_hidden_states=encoder_hidden_states).sample
    for handle in handles:
        handle.remove()
    save_tensors(folder / "io.safetensors", {
        "sample": sample,
        "timesteps": timesteps,
        "encoder_hidden_states": encoder_hidden_states,
        "output": output,
    })
    save_tensors(folder / "unet_intermediates.safetensors", intermediates)


def make_unet(out: Path, seed: int) -> None:
    """Fixture d: tiny UNet2DConditionModel, its output for a batch of two and the intermediate activations."""
    from diffusers import UNet2DConditionModel

    folder = fresh_dir(out / "unet")
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=16,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=8,
    ).eval()
    unet.set_default_attn_processor()
    perturb_constant_parameters(unet, seed + 1)
    unet.save_pretrained(str(folder), safe_serialization=True)

    names = ["time_proj", "time_embedding", "conv_in"]
    names += [f"down_blocks.{i}" for i in range(len(unet.down_blocks))]
    names += ["mid_block"]
    names += [f"up_blocks.{i}" for i in range(len(unet.up_blocks))]
    save_unet_io(unet, folder, seed + 2, sample_size=16, captured=names)

    write_readme(
        folder,
        "Tiny UNet2DConditionModel",
        [
            "diffusers `UNet2DConditionModel` with random weights: block_out_channels [32, 64], layers_per_block 1, "
            "down (CrossAttnDownBlock2D, DownBlock2D), mid UNetMidBlock2DCrossAttn, up (UpBlock2D, "
            "CrossAttnUpBlock2D), cross_attention_dim 32, attention_head_dim 8, norm_num_groups 8, "
            "sample_size 16, in/out channels 4, plain (non-SDPA) attention processors.",
            "",
            "Note: diffusers reads `attention_head_dim` as the number of heads for this model (a historical "
            "naming quirk): 8 heads per attention layer, so head size 4 at 32 channels and 8 at 64 channels. "
            "`use_linear_projection` is false (proj_in/proj_out are 1×1 convolutions, as in SD 1.x).",
            "",
            "- `config.json`, `diffusion_pytorch_model.safetensors`: `save_pretrained(..., safe_serialization=True)`.",
            "- `io.safetensors`: `sample` [2,4,16,16] and `encoder_hidden_states` [2,7,32] N(0,1), "
            "`timesteps` = [10, 500] (float32, one per batch row), `output` = `unet(sample, timesteps, "
            "encoder_hidden_states).sample`.",
            "- `unet_intermediates.safetensors`: forward-hook outputs named by module path. `time_proj` is the "
            "sinusoidal embedding (flip_sin_to_cos true, freq_shift 0: cos half first), `time_embedding` the MLP "
            "output; `down_blocks.i` is a block's hidden output and `down_blocks.i.res_samples.j` its skip "
            "tensors (the last skip tensor of each block is the block output itself and is not repeated); "
            "`up_blocks.1` is the input of `conv_norm_out` → SiLU → `conv_out`.",
            "",
            "Norm scales and zero-initialised biases were perturbed (1 + 0.1·N(0,1), 0.05·N(0,1)).",
            "",
            *shape_table(folder / "io.safetensors"),
            *shape_table(folder / "unet_intermediates.safetensors"),
        ],
        seeds=f"torch.manual_seed({seed}) before construction, perturbation seed {seed + 1}, "
        f"inputs from torch.Generator().manual_seed({seed + 2}) (sample, then encoder_hidden_states)",
    )


def make_unet_text(out: Path, seed: int) -> None:
    """Fixture d2: the tiny UNet with `addition_embed_type="text"` (a TextTimeEmbedding of the context added to
    the time embedding), its output and the add_embedding / time_embedding activations."""
    from diffusers import UNet2DConditionModel

    folder = fresh_dir(out / "unet_text")
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=4,
        norm_num_groups=8,
        addition_embed_type="text",
        addition_embed_type_num_heads=4,
    ).eval()
    unet.set_default_attn_processor()
    perturb_constant_parameters(unet, seed + 1)
    unet.save_pretrained(str(folder), safe_serialization=True)

    save_unet_io(unet, folder, seed + 2, sample_size=8, captured=["time_embedding", "add_embedding"])

    write_readme(
        folder,
        "Tiny UNet2DConditionModel with a text time embedding",
        [
            "diffusers `UNet2DConditionModel` with random weights and `addition_embed_type=\"text\"`, "
            "`addition_embed_type_num_heads=4`: block_out_channels [32, 64], layers_per_block 1, cross-attention "
            "in every block, cross_attention_dim 32, attention_head_dim 4 (heads), norm_num_groups 8, sample_size 8, "
            "plain (non-SDPA) attention processors.",
            "",
            "- `config.json`, `diffusion_pytorch_model.safetensors`: `save_pretrained(..., safe_serialization=True)`.",
            "- `io.safetensors`: `sample` [2,4,8,8] and `encoder_hidden_states` [2,7,32] N(0,1), "
            "`timesteps` = [10, 500], `output` = `unet(sample, timesteps, encoder_hidden_states).sample`.",
            "- `unet_intermediates.safetensors`: `time_embedding` (the timestep MLP's output) and `add_embedding` "
            "(TextTimeEmbedding of `encoder_hidden_states`: LayerNorm, attention pooling, Linear, LayerNorm); the "
            "resnets see their sum.",
            "",
            "Norm scales and zero-initialised biases were perturbed (1 + 0.1·N(0,1), 0.05·N(0,1)).",
            "",
            *shape_table(folder / "io.safetensors"),
            *shape_table(folder / "unet_intermediates.safetensors"),
        ],
        seeds=f"torch.manual_seed({seed}) before construction, perturbation seed {seed + 1}, "
        f"inputs from torch.Generator().manual_seed({seed + 2}) (sample, then encoder_hidden_states)",
    )


# ------------------------------------------------------------------------------------------------------------------
# e. Schedulers
# ------------------------------------------------------------------------------------------------------------------

DDIM_BASE = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "clip_sample": False}

# Step loops: each config value of the grid appears at least once; SD 1.x ("sd15") and SD 2.x-v ("sd2v") settings.
DDIM_LOOPS = {
    "sd15_10": dict(beta_schedule="scaled_linear", timestep_spacing="leading", steps_offset=1,
                    set_alpha_to_one=False, prediction_type="epsilon", num_inference_steps=10),
    "sd15_50": dict(beta_schedule="scaled_linear", timestep_spacing="leading", steps_offset=1,
                    set_alpha_to_one=False, prediction_type="epsilon", num_inference_steps=50),
    "linear_leading_alpha1_10": dict(beta_schedule="linear", timestep_spacing="leading", steps_offset=0,
                                     set_alpha_to_one=True, prediction_type="epsilon", num_inference_steps=10),
    "scaled_trailing_10": dict(beta_schedule="scaled_linear", timestep_spacing="trailing", steps_offset=0,
                               set_alpha_to_one=False, prediction_type="epsilon", num_inference_steps=10),
    "scaled_linspace_10": dict(beta_schedule="scaled_linear", timestep_spacing="linspace", steps_offset=0,
                               set_alpha_to_one=False, prediction_type="epsilon", num_inference_steps=10),
    "sd2v_10": dict(beta_schedule="scaled_linear", timestep_spacing="leading", steps_offset=1,
                    set_alpha_to_one=False, prediction_type="v_prediction", num_inference_steps=10),
    "v_trailing_alpha1_10": dict(beta_schedule="scaled_linear", timestep_spacing="trailing", steps_offset=0,
                                 set_alpha_to_one=True, prediction_type="v_prediction", num_inference_steps=10),
    "linear_linspace_v_alpha1_10": dict(beta_schedule="linear", timestep_spacing="linspace", steps_offset=1,
                                        set_alpha_to_one=True, prediction_type="v_prediction",
                                        num_inference_steps=10),
}

DDIM_INVERSE_LOOPS = {
    "inverse_sd15_10": dict(beta_schedule="scaled_linear", timestep_spacing="leading", steps_offset=1,
                            set_alpha_to_one=False, prediction_type="epsilon", num_inference_steps=10),
    "inverse_trailing_10": dict(beta_schedule="scaled_linear", timestep_spacing="trailing", steps_offset=0,
                                set_alpha_to_one=False, prediction_type="epsilon", num_inference_steps=10),
}

# Loops with this many steps or more store only prev_sample (not pred_original_sample), to save space.
LONG_LOOP_STEPS = 50


def float_list(tensor: torch.Tensor) -> list[float]:
    """float32 tensor → list of Python floats (each the exact value of the float32)."""
    return [float(v) for v in tensor.to(torch.float32).flatten().tolist()]


def build_scheduler(cls, settings: dict):
    """A scheduler of class `cls` from DDIM_BASE + `settings` (num_inference_steps is applied, not configured)."""
    config = {k: v for k, v in settings.items() if k != "num_inference_steps"}
    scheduler = cls(**DDIM_BASE, **config)
    scheduler.set_timesteps(settings["num_inference_steps"])
    return scheduler


def run_scheduler_loop(scheduler, seed: int, long_loop: bool) -> tuple[dict[str, torch.Tensor], list[int]]:
    """Run `step(eta=0)` over all timesteps on a fixed random sample with fixed random model outputs.

    Returns the tensors to save and the previous-timestep index each step used (diffusers' own formula).
    """
    generator = torch.Generator().manual_seed(seed)
    sample = torch.randn((1, 4, 8, 8), generator=generator)
    steps = len(scheduler.timesteps)
    model_outputs = torch.randn((steps, 1, 4, 8, 8), generator=generator)
    tensors = {"sample": sample.clone(), "model_outputs": model_outputs}
    prev_samples, pred_originals = [], []
    is_inverse = type(scheduler).__name__ == "DDIMInverseScheduler"
    for index, timestep in enumerate(scheduler.timesteps):
        if is_inverse:
            result = scheduler.step(model_outputs[index], timestep, sample)
        else:
            result = scheduler.step(model_outputs[index], timestep, sample, eta=0.0)
        sample = result.prev_sample
        prev_samples.append(sample)
        pred_originals.append(result.pred_original_sample)
    tensors["prev_samples"] = torch.stack(prev_samples)
    if not long_loop:
        tensors["pred_original_samples"] = torch.stack(pred_originals)
    step_ratio = scheduler.config.num_train_timesteps // scheduler.num_inference_steps
    other_timesteps = [int(t) - step_ratio for t in scheduler.timesteps]
    return tensors, other_timesteps


def make_scheduler(out: Path, seed: int) -> None:
    """Fixture e: DDIM timesteps for a grid of configs, and step() loops for a chosen subset."""
    from diffusers import DDIMInverseScheduler, DDIMScheduler

    folder = fresh_dir(out / "scheduler")

    # Full alphas_cumprod once per beta schedule (they depend on nothing else).
    schedules = {}
    for beta_schedule in ("linear", "scaled_linear"):
        scheduler = DDIMScheduler(**DDIM_BASE, beta_schedule=beta_schedule)
        schedules[beta_schedule] = {"betas": float_list(scheduler.betas),
                                    "alphas_cumprod": float_list(scheduler.alphas_cumprod)}
    write_json(folder / "alphas_cumprod.json", {"config": DDIM_BASE, "schedules": schedules})

    # Timestep grid: every combination of the axes below.
    grid = []
    for beta_schedule in ("linear", "scaled_linear"):
        for spacing in ("leading", "trailing", "linspace"):
            for steps_offset in (0, 1):
                for set_alpha_to_one in (False, True):
                    for prediction_type in ("epsilon", "v_prediction"):
                        for steps in (10, 50):
                            settings = dict(beta_schedule=beta_schedule, timestep_spacing=spacing,
                                            steps_offset=steps_offset, set_alpha_to_one=set_alpha_to_one,
                                            prediction_type=prediction_type, num_inference_steps=steps)
                            scheduler = build_scheduler(DDIMScheduler, settings)
                            cumprod = scheduler.alphas_cumprod
                            grid.append({
                                "config": {**DDIM_BASE, **settings},
                                "timesteps": [int(t) for t in scheduler.timesteps],
                                "final_alpha_cumprod": float(scheduler.final_alpha_cumprod),
                                "alphas_cumprod_first": float_list(cumprod[:5]),
                                "alphas_cumprod_last": float_list(cumprod[-5:]),
                            })
    write_json(folder / "ddim_timesteps.json", {"versions": library_versions(), "cases": grid})

    # Step loops.
    loop_lines = []
    loops = [(name, DDIMScheduler, s) for name, s in DDIM_LOOPS.items()]
    loops += [(name, DDIMInverseScheduler, s) for name, s in DDIM_INVERSE_LOOPS.items()]
    for offset, (name, cls, settings) in enumerate(loops):
        scheduler = build_scheduler(cls, settings)
        long_loop = settings["num_inference_steps"] >= LONG_LOOP_STEPS
        tensors, other_timesteps = run_scheduler_loop(scheduler, seed + offset, long_loop)
        save_tensors(folder / f"{name}.safetensors", tensors)
        cumprod = scheduler.alphas_cumprod
        initial = getattr(scheduler, "final_alpha_cumprod", None)
        if initial is None:
            initial = scheduler.initial_alpha_cumprod
        document = {
            "scheduler": cls.__name__,
            "config": {**DDIM_BASE, **settings},
            "full_config": {k: v for k, v in scheduler.config.items() if not k.startswith("_")},
            "eta": 0.0 if cls is DDIMScheduler else None,
            "timesteps": [int(t) for t in scheduler.timesteps],
            ("prev_timesteps" if cls is DDIMScheduler else "source_timesteps"): other_timesteps,
            ("final_alpha_cumprod" if cls is DDIMScheduler else "initial_alpha_cumprod"): float(initial),
            "alphas_cumprod_first": float_list(cumprod[:5]),
            "alphas_cumprod_last": float_list(cumprod[-5:]),
            "alphas_cumprod_source": f"alphas_cumprod.json: schedules.{settings['beta_schedule']}.alphas_cumprod",
            "tensors": f"{name}.safetensors",
            "seed": seed + offset,
            "versions": library_versions(),
        }
        write_json(folder / f"{name}.json", document)
        loop_lines.append(f"- `{name}` ({cls.__name__}, seed {seed + offset}): "
                          + ", ".join(f"{k}={v}" for k, v in settings.items()))

    write_readme(
        folder,
        "DDIM scheduler golden data",
        [
            "diffusers `DDIMScheduler` / `DDIMInverseScheduler` with num_train_timesteps 1000, beta_start 0.00085, "
            "beta_end 0.012, clip_sample false.",
            "",
            "- `alphas_cumprod.json`: full float32 `betas` and `alphas_cumprod` for `linear` and `scaled_linear`.",
            "- `ddim_timesteps.json`: the exact `timesteps` for every combination of beta_schedule "
            "{linear, scaled_linear} × timestep_spacing {leading, trailing, linspace} × steps_offset {0, 1} × "
            "set_alpha_to_one {false, true} × prediction_type {epsilon, v_prediction} × num_inference_steps "
            "{10, 50}, with `final_alpha_cumprod` and the first/last five `alphas_cumprod`.",
            "- `<loop>.json` + `<loop>.safetensors`: a loop over all timesteps starting from `sample` [1,4,8,8] "
            "with `model_outputs` [steps,1,4,8,8] (both N(0,1) from the loop's seed, sample first). "
            "`prev_samples[i]` is `step(model_outputs[i], timesteps[i], sample_i, eta=0).prev_sample` where "
            "sample_0 = `sample` and sample_{i+1} = `prev_samples[i]`; `pred_original_samples[i]` likewise "
            f"(omitted for loops of {LONG_LOOP_STEPS} steps). The JSON holds the config, `timesteps`, the first and "
            "last `alphas_cumprod` (the full list is in `alphas_cumprod.json`) and the other timestep each step reads: `prev_timesteps` = t − 1000 // steps "
            "for DDIM (even with trailing/linspace spacing; a negative one uses `final_alpha_cumprod`) and "
            "`source_timesteps` for the inverse scheduler (which reads ᾱ at min(t − 1000 // steps, 999), or "
            "`initial_alpha_cumprod` when negative, and ᾱ at t for the target).",
            "",
            "Loops:",
            "",
            *loop_lines,
        ],
        seeds=f"{seed} + loop index, one torch.Generator per loop",
    )


# ------------------------------------------------------------------------------------------------------------------
# f. torch CPU randn
# ------------------------------------------------------------------------------------------------------------------

RANDN_SEEDS = [0, 42, 12734]
RANDN_SHAPES = {"4x8x8": (4, 8, 8), "17": (17,), "16": (16,), "15": (15,), "1": (1,)}
RANDN_LATENT_SHAPE = (1, 4, 64, 64)
RANDN_PREFIX = 64


def randn_worker(path: str) -> None:
    """Child process: draw every randn case with the CPU capability set in the environment, save them to `path`.

    Runs in its own process because ATEN_CPU_CAPABILITY is read once, when torch is imported.
    """
    torch.set_num_threads(1)
    tensors = {}
    for seed in RANDN_SEEDS:
        for label, shape in RANDN_SHAPES.items():
            torch.manual_seed(seed)
            values = torch.randn(shape)
            generator = torch.Generator().manual_seed(seed)
            if not torch.equal(values, torch.randn(shape, generator=generator)):
                raise RuntimeError("torch.manual_seed and torch.Generator disagree")
            tensors[f"seed{seed}.shape{label}"] = values
        generator = torch.Generator().manual_seed(seed)
        latent = torch.randn(RANDN_LATENT_SHAPE, generator=generator)
        flat = latent.flatten().to(torch.float64)
        tensors[f"seed{seed}.shape1x4x64x64.first{RANDN_PREFIX}"] = latent.flatten()[:RANDN_PREFIX]
        tensors[f"seed{seed}.shape1x4x64x64.sum_f64"] = flat.sum().reshape(1)
        tensors[f"seed{seed}.shape1x4x64x64.sum_of_squares_f64"] = (flat * flat).sum().reshape(1)
        # Two draws in a row from one generator: the second continues the Mersenne Twister stream.
        generator = torch.Generator().manual_seed(seed)
        torch.randn((4, 8, 8), generator=generator)
        tensors[f"seed{seed}.shape4x8x8.then_shape17"] = torch.randn((17,), generator=generator)
    tensors = {k: (v if v.dtype == torch.float64 else v.to(torch.float32)) for k, v in tensors.items()}
    save_file({k: v.clone().contiguous() for k, v in tensors.items()}, path,
              metadata={"cpu_capability": torch.backends.cpu.get_cpu_capability()})


def draw_randn(capability: str | None) -> tuple[dict[str, torch.Tensor], str]:
    """Run `randn_worker` in a child process (optionally forcing ATEN_CPU_CAPABILITY); return tensors and capability."""
    env = dict(os.environ)
    env.pop("ATEN_CPU_CAPABILITY", None)
    if capability is not None:
        env["ATEN_CPU_CAPABILITY"] = capability
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "randn.safetensors")
        subprocess.run([sys.executable, __file__, "--randn-worker", path], env=env, check=True)
        from safetensors import safe_open

        with safe_open(path, framework="pt") as handle:
            used = handle.metadata()["cpu_capability"]
        return load_file(path), used


class ScalarTorchRandn:
    """Pure-Python model of torch's scalar CPU randn for float32, used to check the README's description.

    mt19937 seeded like torch (state[0] = seed & 0xffffffff, the standard Knuth initialisation); numpy's MT19937
    with legacy seeding has the same state and output stream.
    """

    def __init__(self, seed: int):
        self.bit_generator = np.random.MT19937(0)
        self.bit_generator._legacy_seeding(seed)
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        for name in ("logf", "cosf", "sinf", "sqrtf"):
            function = getattr(libm, name)
            function.restype = ctypes.c_float
            function.argtypes = [ctypes.c_float]
        self.libm = libm

    def next_u32(self) -> int:
        return int(self.bit_generator.random_raw())

    def uniform_f32(self) -> np.float32:
        """at::uniform_real_distribution<float>(0, 1): low 24 bits of one 32-bit draw times 2^-24."""
        return np.float32((self.next_u32() & 0xFFFFFF) * (1.0 / (1 << 24)))

    def uniform_f64(self) -> float:
        """at::uniform_real_distribution<double>(0, 1): 64 bits from two draws (first is high), low 53 kept."""
        high, low = self.next_u32(), self.next_u32()
        return (((high << 32) | low) & ((1 << 53) - 1)) * (1.0 / (1 << 53))

    def box_muller_16(self, u: list[np.float32]) -> list[np.float32]:
        """normal_fill_16: pairs (u[j], u[j+8]) → (r·cos θ, r·sin θ) with r = sqrt(−2 log(1 − u[j])), θ = 2π u[j+8]."""
        out = [np.float32(0)] * 16
        for j in range(8):
            u1 = np.float32(np.float32(1) - u[j])
            radius = np.float32(self.libm.sqrtf(np.float32(np.float32(-2) * np.float32(self.libm.logf(u1)))))
            theta = np.float32(2.0 * math.pi * float(u[j + 8]))  # computed in double, rounded to float
            out[j] = np.float32(radius * np.float32(self.libm.cosf(theta)))
            out[j + 8] = np.float32(radius * np.float32(self.libm.sinf(theta)))
        return out

    def randn(self, numel: int) -> np.ndarray:
        """torch.randn(numel) right after manual_seed, on the scalar (ATEN_CPU_CAPABILITY=default) code path."""
        if numel >= 16:
            data = [self.uniform_f32() for _ in range(numel)]
            for start in range(0, numel - 15, 16):
                data[start:start + 16] = self.box_muller_16(data[start:start + 16])
            if numel % 16:
                data[numel - 16:] = self.box_muller_16([self.uniform_f32() for _ in range(16)])
            return np.array(data, dtype=np.float32)
        values, cached = [], None
        for _ in range(numel):
            if cached is not None:
                values.append(cached)
                cached = None
                continue
            u1, u2 = self.uniform_f64(), self.uniform_f64()
            radius = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            cached = radius * math.sin(theta)
            values.append(radius * math.cos(theta))
        return np.array(values, dtype=np.float32)


def check_randn_model(tensors: dict[str, torch.Tensor]) -> list[str]:
    """Compare the scalar-path tensors with ScalarTorchRandn; return the names that match bit for bit."""
    matched = []
    for seed in RANDN_SEEDS:
        for label, shape in RANDN_SHAPES.items():
            name = f"seed{seed}.shape{label}"
            modelled = ScalarTorchRandn(seed).randn(int(np.prod(shape)))
            if np.array_equal(modelled, tensors[name].flatten().numpy()):
                matched.append(name)
    return matched


def ulp_distance(a: torch.Tensor, b: torch.Tensor) -> int:
    """Largest distance in units in the last place between two float32 tensors of equal shape."""
    ai = a.flatten().numpy().view(np.int32).astype(np.int64)
    bi = b.flatten().numpy().view(np.int32).astype(np.int64)
    return int(np.abs(ai - bi).max())


def make_randn(out: Path) -> None:
    """Fixture f: torch.randn on the CPU for a few seeds and shapes, on the scalar and the vectorised code path."""
    folder = fresh_dir(out / "randn")
    native, native_capability = draw_randn(None)
    scalar, scalar_capability = draw_randn("default")
    save_tensors(folder / "randn_native.safetensors", native, metadata={"cpu_capability": native_capability})
    save_tensors(folder / "randn_scalar.safetensors", scalar, metadata={"cpu_capability": scalar_capability})

    matched = check_randn_model(scalar)
    total = len(RANDN_SEEDS) * len(RANDN_SHAPES)
    if len(matched) != total:
        raise RuntimeError(f"scalar randn model matched only {matched} of {total} cases")
    differing = [name for name in native if native[name].dtype == torch.float32
                 and not torch.equal(native[name], scalar[name])]
    max_ulp = max((ulp_distance(native[n], scalar[n]) for n in differing), default=0)
    max_abs = max((float((native[n] - scalar[n]).abs().max()) for n in differing), default=0.0)

    summary = {
        "seeds": RANDN_SEEDS,
        "native_cpu_capability": native_capability,
        "scalar_cpu_capability": scalar_capability,
        "scalar_model_matches": matched,
        "native_vs_scalar_differing_tensors": differing,
        "native_vs_scalar_max_ulp": max_ulp,
        "native_vs_scalar_max_abs": max_abs,
        "latent_stats": {
            file: {
                str(seed): {
                    "sum": float(tensors[f"seed{seed}.shape1x4x64x64.sum_f64"]),
                    "sum_of_squares": float(tensors[f"seed{seed}.shape1x4x64x64.sum_of_squares_f64"]),
                }
                for seed in RANDN_SEEDS
            }
            for file, tensors in (("randn_native", native), ("randn_scalar", scalar))
        },
        "versions": library_versions(),
    }
    write_json(folder / "summary.json", summary)

    write_readme(
        folder,
        "torch CPU randn",
        [
            "`torch.randn` float32 outputs on the CPU. Each tensor was drawn right after `torch.manual_seed(seed)`; "
            "the script checks that `torch.randn(shape, generator=torch.Generator().manual_seed(seed))` gives the "
            "same values (it does: both seed a fresh mt19937 the same way).",
            "",
            f"- `randn_scalar.safetensors`: drawn with `ATEN_CPU_CAPABILITY=default` ({scalar_capability}), "
            "the portable scalar code path.",
            f"- `randn_native.safetensors`: drawn with this machine's own capability ({native_capability}), "
            "what a plain `torch.randn` gives on a current x86 CPU.",
            "- Keys: `seed<S>.shape<dims>` for shapes 4x8x8, 17, 16, 15, 1; `seed<S>.shape1x4x64x64.first64`, "
            "`.sum_f64` and `.sum_of_squares_f64` (float64) for the SD latent shape (drawn with a "
            "`torch.Generator`, as diffusers' `randn_tensor` does); `seed<S>.shape4x8x8.then_shape17` is a second draw "
            "of 17 values from the same generator after a 4x8x8 draw.",
            "- `summary.json`: sums and how the two files compare.",
            "",
            "How torch's CPU randn works (read from ATen's `cpu/DistributionTemplates.h` and "
            "`core/DistributionsHelper.h`, and checked bit for bit by this script on the scalar path):",
            "",
            "- Generator: mt19937 seeded with the low 32 bits of the seed (state[0] = seed, "
            "state[i] = 1812433253·(state[i−1] ^ (state[i−1] >> 30)) + i), standard tempering.",
            "- numel ≥ 16 (float32, contiguous), `normal_fill`: first every element gets a uniform "
            "u = (next32 & 0xFFFFFF)·2⁻²⁴. Then each block of 16 becomes 16 normals by Box–Muller: for j < 8, "
            "r = sqrt(−2·log(1 − u[j])), θ = 2π·u[j+8], out[j] = r·cos θ, out[j+8] = r·sin θ (float32; θ "
            "computed in double then rounded). If numel % 16 ≠ 0, 16 fresh uniforms are drawn and the last 16 "
            "elements (overlapping the previous block) are recomputed from them.",
            "- numel < 16: one value at a time through `at::normal_distribution<double>`: u1, u2 are 53-bit doubles "
            "(two 32-bit draws each, first draw high), r = sqrt(−2·log1p(−u2)), θ = 2π·u1, value r·cos θ; r·sin θ "
            "is cached in the generator and returned by the next call (manual_seed clears the cache).",
            f"- Scalar path: all {len(matched)} of {total} cases (shapes {', '.join(RANDN_SHAPES)} for each seed) are "
            "reproduced bit for bit by a Python model using glibc's logf/cosf/sinf (`ScalarTorchRandn` in "
            "make_fixtures.py); a Swift port of that path can match `randn_scalar` exactly, given a libm that "
            "rounds like glibc's.",
            f"- Vectorised path ({native_capability}, used for numel ≥ 16 only): the same uniforms and block "
            "layout, but log/sin/cos are polynomial approximations and θ = float(2π)·u is a float32 product "
            "(as in ATen's AVX2 kernel; a model computing θ that way lands within 3 ulp). Against the scalar path: "
            f"max abs difference {max_abs:.3g} ({len(differing)} tensors differ; in ulp up to {max_ulp}, large "
            "only for values near 0). Compare with `randn_native` using a tolerance of about 1e-5.",
        ],
        seeds=", ".join(str(s) for s in RANDN_SEEDS),
    )


# ------------------------------------------------------------------------------------------------------------------
# g. Full CLIP vocabulary
# ------------------------------------------------------------------------------------------------------------------

# CLIP's merges file ships inside the open_clip_torch wheel. Only the wheel is downloaded (pip download --no-deps,
# into the git-ignored .venv/wheels/); open_clip itself is never installed.
OPEN_CLIP_WHEEL = "open_clip_torch==3.3.0"
OPEN_CLIP_BPE_MEMBER = "open_clip/bpe_simple_vocab_16e6.txt.gz"
OPEN_CLIP_BPE_SHA256 = "67603cfda2e032ad77b5f8808af37789d590db664b26df8705d2bf8b3c553fc8"  # of the decompressed text
WHEEL_DIR = REPO_ROOT / ".venv" / "wheels"
CLIP_MERGE_COUNT = 49152 - 256 - 2  # CLIP's SimpleTokenizer keeps lines[1 : 49152 - 256 - 2 + 1]

CLIP_VOCAB_SEED = 7000
CLIP_VOCAB_PROMPT_MINIMUM = 250

# Building blocks for the generated prompts (see clip_vocab_prompts).
EDIT_CAPTIONS = [
    "a silver jeep driving down a curvy road in the countryside",
    "A Porsche car driving on a mountain road at sunset",
    "a red sports car parked in front of a glass building",
    "a man riding a bicycle through a busy city street",
    "a golden retriever running on the beach in slow motion",
    "a white swan swimming in a lake surrounded by autumn trees",
    "a hot air balloon floating over snowy mountains",
    "a woman in a blue dress dancing in the rain",
    "aerial view of a cargo ship sailing across the ocean",
    "a steam train crossing a stone bridge in the fog",
    "a cat chasing a laser pointer on a wooden floor",
    "timelapse of clouds moving over a desert canyon",
    "a skateboarder doing a kickflip in an empty parking lot",
    "close-up of a hummingbird drinking from a flower",
    "fireworks exploding above a city skyline at night",
    "a black horse galloping across a green meadow",
    "an astronaut walking on the surface of the moon",
    "a motorboat speeding across a turquoise lagoon",
    "a chef flipping pancakes in a busy kitchen",
    "watercolor painting of a lighthouse on a rocky coast",
    "a LEGO minifigure surfing a giant wave",
    "the Eiffel Tower under a starry sky, Van Gogh style",
]
STYLE_SUFFIXES = [
    "cinematic lighting", "4K", "8k uhd, highly detailed", "oil painting", "in the style of Studio Ghibli",
    "film grain", "Pixar style", "trending on ArtStation", "35mm photo", "unreal engine", "anime", "HDR",
]
PROMPT_SNIPPETS = {
    "punctuation": [
        "!!!", "...", "?!", "!?", "???", "…", "--", "—", "–", ";;", "::", "(((", ")))", "[[", "]]", "{}", "~~",
        "***", "«»", "„“", "¡¿", "!!!1!", ",,,", "/\\", "|", "^_^", ":-)", "<3", "(-_-)", "*_*", "\"\"", "`",
    ],
    "numbers": [
        "1,000", "3.14", "4K", "2024-01-01", "12:30", "1080p", "60fps", "-5°C", "1/2", "50%", "#1", "v2.1", "0.5x",
        "1e-3", "007", "3rd", "100,000,000", "9,999.99", "+33 1 23 45 67 89", "1920x1080", "½", "²", "Ⅻ", "٣",
        "१२३", "４２",
    ],
    "contractions": [
        "it's", "don't", "y'all", "rock'n'roll", "'quoted'", "can't", "I'M", "WE'RE", "o'clock", "it’s",
        "don’t", "ain't", "'90s", "don''t", "you'd've", "'s", "ma'am", "we'll", "they've", "I'd", "Let's",
    ],
    "accents": [
        "café", "naïve", "Ångström", "jalapeño", "cafe\u0301", "crème brûlée", "Zürich", "São Paulo", "Øresund",
        "straße", "İstanbul", "ﬁne ligature", "Ǆ", "ŉ", "Ｆｕｌｌｗｉｄｔｈ", "A\u030a", "n\u0303", "Crème Brûlée",
        "ÉCOLE", "Dvořák", "Łódź", "Hà Nội",
    ],
    "emoji": [
        "🚗", "🙂", "🐱", "🔥🔥🔥", "👨\u200d👩\u200d👧\u200d👦", "👩🏽\u200d🚀", "👍🏻", "👍🏿", "🇯🇵", "🇺🇸",
        "🏳️\u200d🌈", "1️⃣", "❤️", "☀︎", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "🤷\u200d♀️",
        "😂😂", "🌊", "🎬", "✨", "🫠",
    ],
    "scripts": [
        "一只猫在跳舞", "東京の夜景", "カメラ", "ひらがな", "자동차가 달린다", "سيارة حمراء", "מכונית אדומה",
        "красная машина", "κόκκινο αυτοκίνητο", "รถสีแดง", "लाल गाड़ी", "Ελληνικά", "ПРИВЕТ", "日本語とEnglish",
        "漢字123", "Ｆｕｌｌ", "ㄱㄴㄷ", "ﾊﾝｶｸ", "𠀋", "ᚠᚢᚦ",
    ],
    "math": [
        "∑", "∫ f(x) dx", "√2", "π≈3.14", "x² + y² = z²", "α β γ", "≤ ≥ ≠", "∞", "±0.5", "3×4÷2", "→ ← ↑",
        "∂f/∂x", "e^(iπ)+1=0", "∀x∃y", "ℝ³", "a_b", "1 + 1 = 2",
    ],
    "currency": ["$100", "€50", "£20", "¥1000", "₹500", "₿0.5", "¢", "$1,000.00", "USD 20", "20€", "₩10,000"],
    "web": [
        "https://example.com/path?q=1&x=2", "www.test.org", "#sunset", "#NoFilter", "@user_name", "email@example.com",
        "#100DaysOfCode", "http://a.b/c#d", "@OpenAI", "ftp://files.example", "#日本",
    ],
    "html": [
        "&amp;", "&lt;b&gt;", "&quot;hi&quot;", "&#39;", "&nbsp;", "<br/>", "<i>italic</i>", "&amp;amp;", "&#x1F600;",
    ],
}
WHITESPACE_RUNS = [
    "  ", "   ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2009", "\u2028", "\u0085", "\x0c", "\x0b", " \t \n ",
]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"]
CONTROL_CHARS = ["\x00", "\x01", "\x07", "\x08", "\x1b", "\x7f", "\x80", "\x9f", "\ufffd", "\u202e", "\u061c"]
SPECIAL_TOKEN_PROMPTS = [
    f"{BOS}a dog{EOS}", f"a dog {EOS} a cat", EOS, BOS, EOS * 3, f"{BOS} {BOS}", f"a{EOS}b", f"{EOS}{BOS}",
    "<|ENDOFTEXT|> in capitals", "< |endoftext| >", "<|endoftext", "endoftext startoftext", f"{EOS}!!!",
    f"A PORSCHE{EOS}CAR", "<|end\u200boftext|> after cleaning", " ".join([BOS] * 80),
]
FIXED_PROMPTS = [
    "", " ", "   ", "\t", "\n", "\n\n \t ", "\u3000", "\u200b", "\x00", "a", "A", ".", "🙂", "'", "''", "'s",
    "-", "1", "1234567890", "0.000001", "a" * 100, "supercalifragilisticexpialidocious", "x" * 300,
]


def open_clip_wheel() -> Path:
    """The open_clip_torch wheel in .venv/wheels/, downloaded with pip (no dependencies) when missing."""
    name, version = OPEN_CLIP_WHEEL.split("==")
    pattern = f"{name}-{version}-*.whl"
    found = sorted(WHEEL_DIR.glob(pattern))
    if not found:
        print(f"downloading {OPEN_CLIP_WHEEL} (wheel only, for its BPE merges file)", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-deps",
                        "--only-binary=:all:", OPEN_CLIP_WHEEL, "-d", str(WHEEL_DIR)], check=True)
        found = sorted(WHEEL_DIR.glob(pattern))
    if not found:
        raise RuntimeError(f"pip download of {OPEN_CLIP_WHEEL} left no {pattern} in {WHEEL_DIR}")
    return found[0]


@functools.cache
def clip_merges() -> list[tuple[str, str]]:
    """CLIP's 48,894 BPE merges, read from bpe_simple_vocab_16e6.txt.gz inside the open_clip_torch wheel.

    The file's first line is a header; CLIP keeps lines[1 : 49152 - 256 - 2 + 1], so that byte characters (256),
    their "</w>" forms (256), merges and the two special tokens make 49,408 entries.
    """
    with zipfile.ZipFile(open_clip_wheel()) as wheel:
        text = gzip.decompress(wheel.read(OPEN_CLIP_BPE_MEMBER)).decode("utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if digest != OPEN_CLIP_BPE_SHA256:
        raise RuntimeError(f"{OPEN_CLIP_BPE_MEMBER} in {OPEN_CLIP_WHEEL} has sha256 {digest}, "
                           f"expected {OPEN_CLIP_BPE_SHA256}")
    lines = text.split("\n")[1:CLIP_MERGE_COUNT + 1]
    merges = [tuple(line.split(" ")) for line in lines]
    if len(merges) != CLIP_MERGE_COUNT or any(len(m) != 2 for m in merges):
        raise RuntimeError(f"unexpected merges file layout in {OPEN_CLIP_BPE_MEMBER}")
    return merges


def insert_snippet(rng: random.Random, text: str, snippet: str) -> str:
    """Put `snippet` into `text`: as its own word at a random word boundary, or glued to the end of a word."""
    words = text.split(" ")
    index = rng.randrange(len(words) + 1)
    if index > 0 and rng.random() < 0.3:
        words[index - 1] += snippet
    else:
        words.insert(index, snippet)
    return " ".join(words)


def recase(rng: random.Random, text: str) -> str:
    """One of: UPPER, Title Case, sWAPPED, rAnDoM per character, Capitalised sentence."""
    choice = rng.randrange(5)
    if choice == 0:
        return text.upper()
    if choice == 1:
        return text.title()
    if choice == 2:
        return text.swapcase()
    if choice == 3:
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)
    return text[:1].upper() + text[1:]


def rewhitespace(rng: random.Random, text: str) -> str:
    """Replace some single spaces by whitespace runs (tabs, newlines, NBSP, ...) and pad the ends at random."""
    parts = text.split(" ")
    out = parts[0]
    for part in parts[1:]:
        out += (rng.choice(WHITESPACE_RUNS) if rng.random() < 0.4 else " ") + part
    if rng.random() < 0.5:
        out = rng.choice(WHITESPACE_RUNS) + out
    if rng.random() < 0.5:
        out += rng.choice(WHITESPACE_RUNS)
    return out


def sprinkle(rng: random.Random, text: str, characters: list[str], count: int) -> str:
    """Insert `count` characters from `characters` at random positions (also inside words)."""
    for _ in range(count):
        position = rng.randrange(len(text) + 1)
        text = text[:position] + rng.choice(characters) + text[position:]
    return text


def clip_vocab_prompts(seed: int) -> list[str]:
    """The tokenizer test prompts: fixed edge cases plus prompts generated from the building blocks above.

    Deterministic for a given seed (Python's `random.Random`); duplicates are dropped, first occurrence kept.
    """
    rng = random.Random(seed)
    caption = lambda: rng.choice(EDIT_CAPTIONS)  # noqa: E731
    prompts = list(FIXED_PROMPTS) + list(SPECIAL_TOKEN_PROMPTS) + list(EDIT_CAPTIONS)

    # Captions with a style suffix, and re-cased captions.
    prompts += [f"{caption()}, {rng.choice(STYLE_SUFFIXES)}" for _ in range(10)]
    prompts += [recase(rng, caption()) for _ in range(15)]
    # One category of snippets at a time, then everything mixed.
    for snippets in PROMPT_SNIPPETS.values():
        prompts += [insert_snippet(rng, caption(), rng.choice(snippets)) for _ in range(14)]
        prompts += [" ".join(rng.sample(snippets, 3)) for _ in range(2)]
    prompts += [rewhitespace(rng, caption()) for _ in range(15)]
    prompts += [sprinkle(rng, caption(), ZERO_WIDTH, rng.randint(1, 4)) for _ in range(10)]
    prompts += [sprinkle(rng, caption(), CONTROL_CHARS, rng.randint(1, 4)) for _ in range(10)]
    all_snippets = [s for snippets in PROMPT_SNIPPETS.values() for s in snippets]
    for _ in range(40):
        text = caption()
        for _ in range(rng.randint(2, 4)):
            text = insert_snippet(rng, text, rng.choice(all_snippets))
        if rng.random() < 0.5:
            text = recase(rng, text)
        if rng.random() < 0.3:
            text = rewhitespace(rng, text)
        prompts.append(text)
    # Long prompts, well over 77 tokens: caption lists, emoji runs (several tokens each), CJK (one token per char).
    prompts += [", ".join(rng.sample(EDIT_CAPTIONS, rng.randint(7, 14))) for _ in range(6)]
    prompts.append(" ".join(rng.choice(PROMPT_SNIPPETS["emoji"]) for _ in range(60)))
    prompts.append("".join(rng.choice(PROMPT_SNIPPETS["scripts"][:2]) for _ in range(30)))
    prompts.append(" ".join(all_snippets))

    unique = list(dict.fromkeys(prompts))
    if len(unique) < CLIP_VOCAB_PROMPT_MINIMUM:
        raise RuntimeError(f"only {len(unique)} distinct prompts; add building blocks")
    return unique


def make_clip_vocab(out: Path, seed: int = CLIP_VOCAB_SEED) -> None:
    """Fixture g: the full CLIP vocabulary (49,408 entries) and slow-tokenizer outputs for generated prompts."""
    from transformers import CLIPTokenizer, CLIPTokenizerFast

    folder = fresh_dir(out / "clip_vocab")
    vocab = write_tokenizer_files(folder, clip_merges())
    if len(vocab) != 49408:
        raise RuntimeError(f"full CLIP vocabulary has {len(vocab)} entries, expected 49408")
    slow = CLIPTokenizer.from_pretrained(str(folder))
    if slow.fix_text is not None:
        raise RuntimeError("ftfy is installed in this environment; uninstall it (`.venv/bin/pip uninstall ftfy`): "
                           "the fixtures record the slow tokenizer's BasicTokenizer fallback")
    if slow.model_max_length != MAX_LENGTH or slow.pad_token != EOS or len(slow) != len(vocab):
        raise RuntimeError("tokenizer config was not picked up")
    fast = CLIPTokenizerFast.from_pretrained(str(folder), from_slow=True)

    cases = []
    for text in clip_vocab_prompts(seed):
        encoded = slow(text, padding="max_length", max_length=MAX_LENGTH, truncation=True)
        untruncated = len(slow(text)["input_ids"])
        fast_ids = fast(text, padding="max_length", max_length=MAX_LENGTH, truncation=True)["input_ids"]
        case = {
            "text": text,
            "input_ids": encoded["input_ids"],
            "attention_mask": encoded["attention_mask"],
            "untruncated_length": untruncated,
        }
        if fast_ids != encoded["input_ids"]:
            case["fast_input_ids"] = fast_ids
        cases.append(case)

    document = {
        "description": "transformers CLIPTokenizer (slow, Python, ftfy not installed) on the full CLIP vocabulary "
        "in this folder, called as tokenizer(text, padding='max_length', max_length=77, truncation=True)",
        "source": f"{OPEN_CLIP_BPE_MEMBER} from the {OPEN_CLIP_WHEEL} wheel (sha256 of the decompressed text "
        f"{OPEN_CLIP_BPE_SHA256})",
        "vocab_size": len(vocab),
        "bos_token_id": vocab[BOS],
        "eos_token_id": vocab[EOS],
        "pad_token_id": vocab[EOS],
        "model_max_length": MAX_LENGTH,
        "prompt_seed": seed,
        "fast_tokenizer_mismatches": sum("fast_input_ids" in case for case in cases),
        "versions": library_versions(),
        "cases": cases,
    }
    write_json(folder / "clip_vocab_cases.json", document)

    truncated = sum(case["untruncated_length"] > MAX_LENGTH for case in cases)
    mismatches = document["fast_tokenizer_mismatches"]
    write_readme(
        folder,
        "Full CLIP vocabulary",
        [
            f"The real CLIP BPE vocabulary: {len(clip_merges())} merges from `{OPEN_CLIP_BPE_MEMBER}` in the "
            f"`{OPEN_CLIP_WHEEL}` wheel (downloaded by `make_fixtures.py` with `pip download --no-deps`; open_clip "
            f"is not installed). sha256 of the decompressed file: `{OPEN_CLIP_BPE_SHA256}`.",
            "",
            "Built as CLIP's `SimpleTokenizer` does: merges = lines[1 : 49152 − 256 − 2 + 1]; vocabulary = the 256 "
            "byte-unicode characters, the same with `</w>`, `''.join(merge)` for each merge, then "
            f"`{BOS}` = {vocab[BOS]} and `{EOS}` = {vocab[EOS]} ({len(vocab)} entries). This should match the "
            "`tokenizer/` folder of the Stable Diffusion 1.x checkpoints (same ids, same merges).",
            "",
            "- `vocab.json` (token → id, one line, sorted by id), `merges.txt` (`#version: 0.2` header line, then "
            "one merge per line), `tokenizer_config.json` (model_max_length 77, pad `<|endoftext|>`), "
            "`special_tokens_map.json`: the layout of a Stable Diffusion `tokenizer/` folder.",
            f"- `clip_vocab_cases.json`: {len(cases)} prompts generated from building blocks with "
            f"`random.Random({seed})` (editing captions, case changes, punctuation runs, numbers, contractions, "
            "accents and combining marks, emoji sequences, other scripts, math, currency, URLs/hashtags/mentions, "
            "HTML entities, whitespace runs, zero-width and control characters, literal special tokens, empty and "
            f"whitespace-only text, {truncated} prompts longer than 77 tokens). Per case: `text`, `input_ids` and "
            "`attention_mask` (77, padded with `<|endoftext|>`, truncated keeping the final `<|endoftext|>`), "
            "`untruncated_length` (ids without padding or truncation, BOS and EOS included).",
            "",
            "Reference: transformers' slow `CLIPTokenizer` with ftfy NOT installed, so text cleaning is its "
            "`BasicTokenizer(strip_accents=False, do_split_on_punc=False)` fallback, in this order:",
            "",
            "1. Literal `<|startoftext|>` / `<|endoftext|>` are split out as special tokens first.",
            "2. Delete U+0000, U+FFFD and every character of Unicode category C* except tab, CR and LF: control "
            "characters including U+000B, U+000C and U+0085, and format characters such as U+200B, U+200D (so "
            "emoji ZWJ sequences fall apart), U+FEFF, U+00AD, U+202E and the emoji tag characters. They are "
            "deleted, not replaced by spaces (`a\\x0bb` is one word).",
            "3. Space, tab, CR, LF and category Zs (U+00A0, U+3000, U+2009, ...) become a space.",
            "4. Spaces around each CJK ideograph (U+4E00–U+9FFF and the other CJK ideograph blocks; not kana, "
            "not Hangul).",
            "5. NFC normalisation (`e` + U+0301 becomes `é`), then Python `str.split()` (which also splits at "
            "U+2028/U+2029), lower-casing with Python `str.lower()` (`İ` becomes `i` + U+0307; accents are "
            "kept), joined with single spaces.",
            "6. CLIP's regex `<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|"
            "[^\\s\\p{L}\\p{N}]+` (case-insensitive; digits one at a time), byte-level BPE per piece. A "
            "`<|endoftext|>` that only appears after cleaning (`<|ENDOFTEXT|>`, or one with a zero-width "
            "character inside) still becomes the special id: the regex matches it and the BPE cache maps it.",
            "",
            "Unknown tokens cannot occur: every byte has a token.",
            "",
            f"`fast_input_ids` is present where `CLIPTokenizerFast` (converted from the same files) disagrees with "
            f"the slow tokenizer: {mismatches} of {len(cases)} cases. The slow tokenizer is the reference.",
        ],
        seeds=f"prompts from random.Random({seed}); the vocabulary is data, not random",
    )


# ------------------------------------------------------------------------------------------------------------------
# h. Tiny Stable Diffusion pipelines
# ------------------------------------------------------------------------------------------------------------------

PIPELINE_PROMPTS = ["a silver jeep driving down a curvy road in the countryside", "A Porsche car, café 🙂 4K!!"]
PIPELINE_NEGATIVE_PROMPT = ""
PIPELINE_GUIDANCE_SCALE = 7.5
PIPELINE_STEPS = 5
PIPELINE_UNET_TIMESTEPS = [901.0, 37.0]
PIPELINE_LATENT_SIZE = 8  # latents [1, 4, 8, 8]; the tiny VAEs downsample by 2, so images are 16×16
PIPELINE_VAE_IMAGE_SIZE = 32

# The token ids real SD text-encoder configs carry (bos 0, pad 1, eos 2: leftovers, not the tokenizer's ids).
# transformers only uses them to pick the pooled token; Stable Diffusion uses last_hidden_state.
LEGACY_TEXT_TOKEN_IDS = {"bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2}

SD_SCHEDULER = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "clip_sample": False,
    "set_alpha_to_one": False,
    "steps_offset": 1,
    "timestep_spacing": "leading",
}


def prefix_tokenizer(merge_count: int, pad_token: str):
    """A slow CLIPTokenizer whose vocabulary uses only the first `merge_count` real CLIP merges.

    A prefix of the merge list is itself a valid BPE model (each merge only needs earlier ones), so every text
    still tokenizes, into more and shorter pieces. Ids: 512 byte tokens, the merges, then BOS and EOS.
    """
    from transformers import CLIPTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        write_tokenizer_files(Path(tmp), clip_merges()[:merge_count], pad_token=pad_token)
        return CLIPTokenizer.from_pretrained(tmp)


def tiny_text_encoder(tokenizer, seed: int, hidden_size: int, heads: int, intermediate: int, hidden_act: str):
    """Random CLIPTextModel (2 layers, eager attention) sized for `tokenizer`, with perturbed norms and biases."""
    from transformers import CLIPTextConfig, CLIPTextModel

    config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate,
        num_hidden_layers=2,
        num_attention_heads=heads,
        max_position_embeddings=MAX_LENGTH,
        hidden_act=hidden_act,
        projection_dim=32,
        **LEGACY_TEXT_TOKEN_IDS,
    )
    torch.manual_seed(seed)
    model = CLIPTextModel._from_config(config, attn_implementation="eager").eval()
    perturb_constant_parameters(model, seed + 1)
    return model


def tiny_vae(seed: int, block_out_channels: tuple[int, ...]):
    """Random AutoencoderKL (layers_per_block 1, 8 groups, SD's scaling factor), plain attention processor."""
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        block_out_channels=block_out_channels,
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=PIPELINE_VAE_IMAGE_SIZE,
        scaling_factor=0.18215,
        down_block_types=("DownEncoderBlock2D",) * len(block_out_channels),
        up_block_types=("UpDecoderBlock2D",) * len(block_out_channels),
    ).eval()
    vae.set_default_attn_processor()
    perturb_constant_parameters(vae, seed + 1)
    return vae


def tiny_unet(seed: int, **config):
    """Random UNet2DConditionModel (one cross-attention level, one plain level), plain attention processors."""
    from diffusers import UNet2DConditionModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=PIPELINE_LATENT_SIZE,
        in_channels=4,
        out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        norm_num_groups=8,
        **config,
    ).eval()
    unet.set_default_attn_processor()
    perturb_constant_parameters(unet, seed + 1)
    return unet


def assemble_pipeline(vae, text_encoder, tokenizer, unet, scheduler):
    """StableDiffusionPipeline without safety checker, feature extractor or image encoder (saved as nulls)."""
    from diffusers import StableDiffusionPipeline

    return StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   image_encoder=None, requires_safety_checker=False)


def build_sd1_tiny(seed: int):
    """SD-1.x-shaped pipeline: conv proj_in/out, int attention_head_dim, quick_gelu text model, epsilon DDIM."""
    from diffusers import DDIMScheduler

    tokenizer = prefix_tokenizer(2000, pad_token=EOS)
    text_encoder = tiny_text_encoder(tokenizer, seed, hidden_size=32, heads=4, intermediate=37,
                                     hidden_act="quick_gelu")
    unet = tiny_unet(seed + 10, block_out_channels=(16, 32), layers_per_block=2, cross_attention_dim=32,
                     attention_head_dim=4, use_linear_projection=False)
    vae = tiny_vae(seed + 20, block_out_channels=(16, 32))
    scheduler = DDIMScheduler(**SD_SCHEDULER, prediction_type="epsilon")
    return assemble_pipeline(vae, text_encoder, tokenizer, unet, scheduler)


def build_sd2_tiny(seed: int):
    """SD-2.x-shaped pipeline: linear proj_in/out, per-block head counts, gelu text model, pad "!", v-prediction."""
    from diffusers import DDIMScheduler

    tokenizer = prefix_tokenizer(1000, pad_token="!")
    text_encoder = tiny_text_encoder(tokenizer, seed, hidden_size=48, heads=6, intermediate=67, hidden_act="gelu")
    unet = tiny_unet(seed + 10, block_out_channels=(16, 32), layers_per_block=1, cross_attention_dim=48,
                     attention_head_dim=(2, 8), use_linear_projection=True, upcast_attention=True,
                     transformer_layers_per_block=1)
    vae = tiny_vae(seed + 20, block_out_channels=(16, 32))
    scheduler = DDIMScheduler(**SD_SCHEDULER, prediction_type="v_prediction")
    return assemble_pipeline(vae, text_encoder, tokenizer, unet, scheduler)


def rounded_to_fp16(pipe):
    """Copy of `pipe` whose model weights went through float16 and back: the float32 math of the fp16 variant."""
    vae, text_encoder, unet = (copy.deepcopy(m).half().float() for m in (pipe.vae, pipe.text_encoder, pipe.unet))
    return assemble_pipeline(vae, text_encoder, pipe.tokenizer, unet, copy.deepcopy(pipe.scheduler))


def tokenize_prompts(tokenizer, prompts: list[str]) -> torch.Tensor:
    """input_ids [N, 77] as StableDiffusionPipeline.encode_prompt makes them (pad to max_length, truncate)."""
    return tokenizer(prompts, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                     return_tensors="pt").input_ids


def ddim_loop(pipe, cond: torch.Tensor, uncond: torch.Tensor, init: torch.Tensor, guidance_scale: float):
    """The denoising loop of StableDiffusionPipeline.__call__ with a fresh copy of the pipeline's scheduler.

    cond, uncond: [1, 77, D]; init: [1, 4, h, w]. Guidance (when guidance_scale > 1) runs the UNet on the batch
    [uncond, cond] and mixes ε = ε_u + s·(ε_c − ε_u). Returns (latents after each step [S, 1, 4, h, w],
    guided model outputs [S, 1, 4, h, w], timesteps [S]).
    """
    scheduler = type(pipe.scheduler).from_config(pipe.scheduler.config)
    scheduler.set_timesteps(PIPELINE_STEPS)
    guided = guidance_scale > 1.0
    context = torch.cat([uncond, cond]) if guided else cond
    latents = init * scheduler.init_noise_sigma
    all_latents, all_outputs = [], []
    for t in scheduler.timesteps:
        model_input = torch.cat([latents] * 2) if guided else latents
        model_input = scheduler.scale_model_input(model_input, t)
        output = pipe.unet(model_input, t, encoder_hidden_states=context).sample
        if guided:
            output_uncond, output_cond = output.chunk(2)
            output = output_uncond + guidance_scale * (output_cond - output_uncond)
        latents = scheduler.step(output, t, latents, eta=0.0).prev_sample
        all_latents.append(latents)
        all_outputs.append(output)
    return torch.stack(all_latents), torch.stack(all_outputs), scheduler.timesteps.clone()


def pipeline_call_latents(pipe, init: torch.Tensor, guidance_scale: float) -> torch.Tensor:
    """Latents after each step of pipe(...) itself (output_type 'latent'), recorded by callback_on_step_end."""
    recorded = []

    def record(_pipe, _step, _timestep, tensors):
        recorded.append(tensors["latents"].clone())
        return {}

    size = init.shape[-1] * pipe.vae_scale_factor
    pipe(prompt=PIPELINE_PROMPTS[0], negative_prompt=PIPELINE_NEGATIVE_PROMPT, height=size, width=size,
         num_inference_steps=PIPELINE_STEPS, guidance_scale=guidance_scale, eta=0.0, latents=init.clone(),
         output_type="latent", callback_on_step_end=record, return_dict=False)
    return torch.stack(recorded)


def pipeline_references(pipe, seed: int) -> dict[str, torch.Tensor]:
    """Reference tensors for one pipeline (float32); random inputs from torch.Generator().manual_seed(seed).

    Draw order: vae_image (uniform in [-1, 1)), vae_latent, unet_sample, loop_init (all N(0,1)).
    """
    generator = torch.Generator().manual_seed(seed)
    vae_image = torch.rand((1, 3, PIPELINE_VAE_IMAGE_SIZE, PIPELINE_VAE_IMAGE_SIZE), generator=generator) * 2 - 1
    latent_shape = (4, PIPELINE_LATENT_SIZE, PIPELINE_LATENT_SIZE)
    vae_latent = torch.randn((1, *latent_shape), generator=generator)
    unet_sample = torch.randn((2, *latent_shape), generator=generator)
    loop_init = torch.randn((1, *latent_shape), generator=generator)

    prompt_ids = tokenize_prompts(pipe.tokenizer, PIPELINE_PROMPTS)
    negative_ids = tokenize_prompts(pipe.tokenizer, [PIPELINE_NEGATIVE_PROMPT])
    unet_timesteps = torch.tensor(PIPELINE_UNET_TIMESTEPS, dtype=torch.float32)
    with torch.no_grad():
        text_embeddings = pipe.text_encoder(prompt_ids)[0]
        negative_embeddings = pipe.text_encoder(negative_ids)[0]
        posterior = pipe.vae.encode(vae_image).latent_dist
        vae_decoded = pipe.vae.decode(vae_latent).sample
        unet_output = pipe.unet(unet_sample, unet_timesteps, encoder_hidden_states=text_embeddings).sample
        cond, uncond = text_embeddings[:1], negative_embeddings
        loop_latents, loop_outputs, loop_timesteps = ddim_loop(pipe, cond, uncond, loop_init, PIPELINE_GUIDANCE_SCALE)
        noguide_latents, noguide_outputs, _ = ddim_loop(pipe, cond, uncond, loop_init, 1.0)
        loop_decoded = pipe.vae.decode(loop_latents[-1] / pipe.vae.config.scaling_factor).sample
    return {
        "prompt_ids": prompt_ids.to(torch.float32),
        "text_embeddings": text_embeddings,
        "negative_ids": negative_ids.to(torch.float32),
        "negative_embeddings": negative_embeddings,
        "vae_image": vae_image,
        "vae_mean": posterior.mean,
        "vae_logvar": posterior.logvar,
        "vae_latent": vae_latent,
        "vae_decoded": vae_decoded,
        "unet_sample": unet_sample,
        "unet_timesteps": unet_timesteps,
        "unet_context": text_embeddings,
        "unet_output": unet_output,
        "loop_init": loop_init,
        "loop_timesteps": loop_timesteps.to(torch.float32),
        "loop_latents": loop_latents,
        "loop_model_outputs": loop_outputs,
        "loop_decoded": loop_decoded,
        "loop_noguide_latents": noguide_latents,
        "loop_noguide_model_outputs": noguide_outputs,
    }


def check_saved_pipeline(folder: Path, expected, references: dict[str, torch.Tensor], variant: str | None) -> dict:
    """Reload `folder` with diffusers (float32, default SDPA attention) and compare with what was saved.

    Weights must equal `expected`'s bit for bit; the pipeline's own __call__ must reproduce `loop_latents` and
    `loop_noguide_latents` (checked on `expected`, same attention code). Returns the measured differences.
    """
    from diffusers import StableDiffusionPipeline

    reloaded = StableDiffusionPipeline.from_pretrained(str(folder), variant=variant, torch_dtype=torch.float32)
    reloaded.set_progress_bar_config(disable=True)
    for name in ("vae", "text_encoder", "unet"):
        want, got = getattr(expected, name).state_dict(), getattr(reloaded, name).state_dict()
        if want.keys() != got.keys() or any(not torch.equal(want[k], got[k]) for k in want):
            raise RuntimeError(f"{folder.name}/{name}: reloaded weights differ from the saved model")
    if not torch.equal(tokenize_prompts(reloaded.tokenizer, PIPELINE_PROMPTS), references["prompt_ids"].long()):
        raise RuntimeError(f"{folder.name}/tokenizer: reloaded tokenizer gives other ids")

    expected.set_progress_bar_config(disable=True)
    with torch.no_grad():
        call_diff = {
            "loop_latents": pipeline_call_latents(expected, references["loop_init"], PIPELINE_GUIDANCE_SCALE),
            "loop_noguide_latents": pipeline_call_latents(expected, references["loop_init"], 1.0),
        }
        sdpa = {
            "text_embeddings": reloaded.text_encoder(references["prompt_ids"].long())[0],
            "unet_output": reloaded.unet(references["unet_sample"], references["unet_timesteps"],
                                         encoder_hidden_states=references["unet_context"]).sample,
            "vae_decoded": reloaded.vae.decode(references["vae_latent"]).sample,
            "loop_latents": pipeline_call_latents(reloaded, references["loop_init"], PIPELINE_GUIDANCE_SCALE),
        }
    call = {k: float((v - references[k]).abs().max()) for k, v in call_diff.items()}
    if max(call.values()) > 0.0:
        raise RuntimeError(f"{folder.name}: StableDiffusionPipeline.__call__ disagrees with ddim_loop: {call}")
    return {k: float((v - references[k]).abs().max()) for k, v in sdpa.items()}


def as_json(value) -> str:
    """A config value spelled as in config.json (tuples as lists, lower-case booleans)."""
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


def folder_listing(folder: Path) -> list[str]:
    """Markdown lines: every file under `folder` (README.md excluded) with its size in bytes."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "README.md"):
        lines.append(f"- `{path.relative_to(folder)}`: {path.stat().st_size} bytes")
    return lines


def write_pipeline_fixture(folder: Path, pipe, seed: int, summary: str, variant: str | None,
                           references_from=None) -> None:
    """Save `pipe` in diffusers layout into `folder` with reference.safetensors, reference.json and README.md.

    `references_from` is the float32 pipeline the references are computed with (default: `pipe` itself; the
    fp16-rounded copy for the fp16 variant).
    """
    reference_pipe = references_from or pipe
    fresh_dir(folder)
    pipe.save_pretrained(str(folder), safe_serialization=True, variant=variant)
    references = pipeline_references(reference_pipe, seed)
    save_tensors(folder / "reference.safetensors", references)
    sdpa_diff = check_saved_pipeline(folder, reference_pipe, references, variant)

    scheduler = reference_pipe.scheduler
    text_config = reference_pipe.text_encoder.config
    document = {
        "pipeline": folder.name,
        "summary": summary,
        "variant": variant,
        "prompts": PIPELINE_PROMPTS,
        "negative_prompt": PIPELINE_NEGATIVE_PROMPT,
        "prompt_ids": references["prompt_ids"].long().tolist(),
        "negative_ids": references["negative_ids"].long().tolist(),
        "pad_token": reference_pipe.tokenizer.pad_token,
        "pad_token_id": reference_pipe.tokenizer.pad_token_id,
        "text_hidden_size": text_config.hidden_size,
        "guidance_scale": PIPELINE_GUIDANCE_SCALE,
        "num_inference_steps": PIPELINE_STEPS,
        "eta": 0.0,
        "height": PIPELINE_LATENT_SIZE * reference_pipe.vae_scale_factor,
        "width": PIPELINE_LATENT_SIZE * reference_pipe.vae_scale_factor,
        "vae_scale_factor": reference_pipe.vae_scale_factor,
        "vae_scaling_factor": reference_pipe.vae.config.scaling_factor,
        "prediction_type": scheduler.config.prediction_type,
        "loop_timesteps": [int(t) for t in references["loop_timesteps"]],
        "unet_timesteps": PIPELINE_UNET_TIMESTEPS,
        "seed": seed,
        "reference_attention": "transformers eager attention, diffusers AttnProcessor (no SDPA)",
        "sdpa_reload_max_abs_diff": sdpa_diff,
        "versions": library_versions(),
    }
    write_json(folder / "reference.json", document)

    unet_config = reference_pipe.unet.config
    write_readme(
        folder,
        f"Tiny Stable Diffusion pipeline `{folder.name}`",
        [
            summary,
            "",
            "Saved with `StableDiffusionPipeline(...).save_pretrained(dir, safe_serialization=True"
            + (f", variant={variant!r})`" if variant else ")`")
            + ": `model_index.json`, `scheduler/`, `tokenizer/`, `text_encoder/`, `unet/`, `vae/` as in a hub "
            "checkpoint; safety_checker, feature_extractor and image_encoder are saved as `[null, null]`.",
            "",
            f"- Tokenizer: the first {len(reference_pipe.tokenizer) - 514} real CLIP merges "
            f"({len(reference_pipe.tokenizer)} entries, BOS {reference_pipe.tokenizer.bos_token_id}, "
            f"EOS {reference_pipe.tokenizer.eos_token_id}), pad token `{reference_pipe.tokenizer.pad_token}` "
            f"(id {reference_pipe.tokenizer.pad_token_id}), model_max_length 77."
            + ("" if reference_pipe.tokenizer.pad_token == EOS else
               f" Because `{reference_pipe.tokenizer.pad_token}` is a special token here, transformers splits "
               f"every `{reference_pipe.tokenizer.pad_token}` in the text out before BPE, one id "
               f"{reference_pipe.tokenizer.pad_token_id} per character (the second prompt's `!!` gives 0, 0 "
               "instead of `!!</w>`): what diffusers users of SD 2.x get (diffusers issue #4153), unlike "
               "open_clip."),
            f"- Text encoder: CLIPTextModel hidden {text_config.hidden_size}, {text_config.num_hidden_layers} "
            f"layers, {text_config.num_attention_heads} heads, intermediate {text_config.intermediate_size}, "
            f"`{text_config.hidden_act}`. Its config carries SD's legacy bos/pad/eos ids 0/1/2, which are not the "
            "tokenizer's; nothing here depends on them.",
            f"- UNet: block_out_channels {as_json(unet_config.block_out_channels)}, layers_per_block "
            f"{unet_config.layers_per_block}, attention_head_dim {as_json(unet_config.attention_head_dim)} "
            "(diffusers reads it as the number of heads; the mid block uses the last entry, up blocks the list "
            f"reversed), use_linear_projection {as_json(unet_config.use_linear_projection)}, "
            f"cross_attention_dim {unet_config.cross_attention_dim}, upcast_attention "
            f"{as_json(unet_config.upcast_attention)} (no effect in float32), down "
            f"{as_json(unet_config.down_block_types)}, up {as_json(unet_config.up_block_types)}.",
            f"- VAE: block_out_channels {as_json(reference_pipe.vae.config.block_out_channels)}, "
            "layers_per_block 1, "
            f"scaling_factor {reference_pipe.vae.config.scaling_factor}; it downsamples by "
            f"{reference_pipe.vae_scale_factor}, so {PIPELINE_LATENT_SIZE}×{PIPELINE_LATENT_SIZE} latents are "
            f"{document['height']}×{document['width']} images.",
            f"- Scheduler: DDIMScheduler, {scheduler.config.beta_schedule} {scheduler.config.beta_start}–"
            f"{scheduler.config.beta_end}, {scheduler.config.timestep_spacing} spacing, steps_offset "
            f"{scheduler.config.steps_offset}, set_alpha_to_one {as_json(scheduler.config.set_alpha_to_one)}, "
            f"prediction_type `{scheduler.config.prediction_type}`.",
            "",
            "Norm scales and zero-initialised biases were perturbed (1 + 0.1·N(0,1), 0.05·N(0,1)).",
            "",
            "`reference.safetensors` (float32; `reference.json` holds the prompts, ids and settings):",
            "",
            f"- `prompt_ids` [2,77]: the prompts {' and '.join(repr(p) for p in PIPELINE_PROMPTS)} tokenized as "
            "`encode_prompt` does (ids as float32); `text_embeddings` = `text_encoder(prompt_ids)[0]` "
            "(last_hidden_state, after final_layer_norm, no attention mask); `negative_ids` [1,77] / "
            "`negative_embeddings` the same for the empty negative prompt.",
            "- `vae_image` [1,3,32,32] → `vae.encode(...).latent_dist`: `vae_mean`, `vae_logvar`; `vae_latent` "
            "→ `vae.decode(vae_latent).sample` = `vae_decoded` (no scaling factor applied).",
            "- `unet_output` = `unet(unet_sample, unet_timesteps, encoder_hidden_states=unet_context).sample` "
            "with `unet_context` = `text_embeddings`.",
            f"- `loop_*`: `StableDiffusionPipeline.__call__`'s loop, {PIPELINE_STEPS} DDIM steps (eta 0) from "
            f"`loop_init`, prompt {PIPELINE_PROMPTS[0]!r}, negative prompt {PIPELINE_NEGATIVE_PROMPT!r}, "
            f"guidance {PIPELINE_GUIDANCE_SCALE} (UNet batch [negative, prompt], ε = ε_neg + s·(ε_prompt − ε_neg)). "
            f"`loop_timesteps` = {document['loop_timesteps']}; `loop_latents[i]` is the latent after step i, "
            "`loop_model_outputs[i]` the guided UNet output that step consumed; `loop_decoded` = "
            "`vae.decode(loop_latents[-1] / scaling_factor).sample` (in [-1, 1] terms, before the pipeline's "
            "postprocessing). `loop_noguide_*`: the same with guidance_scale 1 (no negative branch).",
            "",
            "Checks made by the script: the reloaded folder (`from_pretrained`"
            + (f" with variant={variant!r}" if variant else "")
            + ") has bit-identical weights and tokenizer ids; calling the pipeline itself (output_type 'latent', "
            "latents recorded by `callback_on_step_end`) reproduces `loop_latents` and `loop_noguide_latents` "
            "exactly. References use eager/plain attention; the reloaded pipeline's default SDPA attention "
            "differs by at most "
            + ", ".join(f"{v:.2g} ({k})" for k, v in sdpa_diff.items()) + ".",
            "",
            "Files:",
            "",
            *folder_listing(folder),
            "",
            *shape_table(folder / "reference.safetensors"),
        ],
        seeds=f"models from torch.manual_seed({seed}) (text encoder), {seed + 10} (UNet), {seed + 20} (VAE), "
        "each perturbed with seed + 1; reference inputs from "
        f"torch.Generator().manual_seed({seed})",
    )


def make_pipelines(out: Path, seed: int) -> None:
    """Fixture h: tiny SD-1.x and SD-2.x pipelines in diffusers layout (and an fp16 variant) with references."""
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.disable_progress_bar()
    root = out / "pipelines"
    root.mkdir(exist_ok=True)

    sd1 = build_sd1_tiny(seed)
    write_pipeline_fixture(
        root / "sd1-tiny", sd1, seed,
        "SD-1.x-shaped pipeline with random weights (float32 files).", variant=None)

    sd1_fp16 = assemble_pipeline(copy.deepcopy(sd1.vae).half(), copy.deepcopy(sd1.text_encoder).half(), sd1.tokenizer,
                                 copy.deepcopy(sd1.unet).half(), copy.deepcopy(sd1.scheduler))
    write_pipeline_fixture(
        root / "sd1-tiny-fp16", sd1_fp16, seed,
        "The weights of `../sd1-tiny` rounded to float16 and saved ONLY as the `fp16` variant "
        "(`*.fp16.safetensors`, float16 tensors), so a loader must pick the variant files. The references are "
        "the same computation in float32 with the rounded weights (float16 → float32 upcast at load).",
        variant="fp16", references_from=rounded_to_fp16(sd1))

    sd2 = build_sd2_tiny(seed + 100)
    write_pipeline_fixture(
        root / "sd2-tiny", sd2, seed + 100,
        "SD-2.x-shaped pipeline with random weights (float32 files): linear proj_in/proj_out, per-block "
        "attention_head_dim, gelu text encoder, tokenizer pad token `!`, v-prediction.", variant=None)

    lines = [
        "# Tiny Stable Diffusion pipelines",
        "",
        "Full diffusers folders (`model_index.json` + component folders) with random weights and reference "
        f"outputs, made by `scripts/make_fixtures.py` (run `{REGENERATE} --only pipelines`). Each folder has "
        "`reference.safetensors`, `reference.json` and a README.",
        "",
        "- `sd1-tiny/`: SD-1.x shape (conv projections, int attention_head_dim, quick_gelu, epsilon)",
        "- `sd1-tiny-fp16/`: the same weights rounded to float16, saved only as the `fp16` variant",
        "- `sd2-tiny/`: SD-2.x shape (linear projections, per-block heads, gelu, pad `!`, v_prediction)",
        "",
    ]
    (root / "README.md").write_text("\n".join(lines), encoding="utf-8")


# ------------------------------------------------------------------------------------------------------------------
# i. Gradients and optimiser steps (for the Training module)
# ------------------------------------------------------------------------------------------------------------------

# Parameters of the tiny UNet whose gradients are saved: one of each kind of layer the backward pass goes through.
GRAD_PARAMETERS = [
    "conv_in.weight",
    "time_embedding.linear_1.weight",
    "down_blocks.0.resnets.0.conv1.weight",
    "down_blocks.0.resnets.0.norm1.weight",
    "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight",
    "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight",
    "down_blocks.0.downsamplers.0.conv.bias",
    "mid_block.attentions.0.norm.weight",
    "up_blocks.0.upsamplers.0.conv.bias",
    "up_blocks.1.attentions.0.transformer_blocks.0.norm1.weight",
    "up_blocks.1.attentions.0.transformer_blocks.0.ff.net.0.proj.weight",
    "conv_out.bias",
]


def make_grads(out: Path, seed: int) -> None:
    """Fixture i: gradients of the tiny UNet (unet/ fixture) and AdamW / clipping / LR-schedule trajectories."""
    from diffusers import UNet2DConditionModel
    from diffusers.optimization import get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup

    unet_folder = out / "unet"
    if not (unet_folder / "config.json").exists():
        raise RuntimeError("grads needs the unet fixture: run with --only unet grads")
    folder = fresh_dir(out / "grads")

    # 1. UNet gradients: loss = mean(output²) on the unet fixture's inputs.
    unet = UNet2DConditionModel.from_pretrained(str(unet_folder)).eval()
    unet.set_default_attn_processor()
    io = load_file(str(unet_folder / "io.safetensors"))
    sample = io["sample"].clone().requires_grad_(True)
    context = io["encoder_hidden_states"].clone().requires_grad_(True)
    output = unet(sample, io["timesteps"], encoder_hidden_states=context).sample
    loss = output.pow(2).mean()
    loss.backward()
    parameters = dict(unet.named_parameters())
    grads = {"loss": loss.detach().reshape(1), "sample": sample.grad, "encoder_hidden_states": context.grad}
    grads.update({name: parameters[name].grad for name in GRAD_PARAMETERS})
    save_tensors(folder / "unet_grads.safetensors", grads)

    # 2. AdamW (torch defaults: betas (0.9, 0.999), eps 1e-8, weight_decay 0.01), lr 1e-2, six steps, once plain
    #    and once with clip_grad_norm_(max_norm 0.5) and a cosine schedule (warm-up 2 of 6 steps).
    generator = torch.Generator().manual_seed(seed)
    initial = [torch.randn((6,), generator=generator), torch.randn((2, 3), generator=generator)]
    steps = 6
    step_grads = [[torch.randn(p.shape, generator=generator) * (1 + i) for p in initial] for i in range(steps)]
    optim: dict[str, torch.Tensor] = {"p0.initial": initial[0], "p1.initial": initial[1]}
    for i in range(steps):
        optim[f"p0.grad.{i}"], optim[f"p1.grad.{i}"] = step_grads[i]
    for run in ["plain", "clipped_cosine"]:
        params = [torch.nn.Parameter(p.clone()) for p in initial]
        optimizer = torch.optim.AdamW(params, lr=1e-2)
        scheduler = get_cosine_schedule_with_warmup(optimizer, 2, steps) if run == "clipped_cosine" else None
        lrs, norms = [], []
        for i in range(steps):
            for p, g in zip(params, step_grads[i]):
                p.grad = g.clone()
            if run == "clipped_cosine":
                norms.append(float(torch.nn.utils.clip_grad_norm_(params, max_norm=0.5)))
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            optim[f"{run}.p0.{i}"] = params[0].detach().clone()
            optim[f"{run}.p1.{i}"] = params[1].detach().clone()
        optim[f"{run}.lr"] = torch.tensor(lrs, dtype=torch.float32)
        if norms:
            optim[f"{run}.grad_norm"] = torch.tensor(norms, dtype=torch.float32)
    save_tensors(folder / "adamw.safetensors", optim)

    # 3. Learning-rate multipliers of diffusers' schedules over 12 steps (warm-up 3), as LambdaLR applies them.
    schedules = {}
    for name, make in [("constant_warmup", lambda o: get_constant_schedule_with_warmup(o, 3)),
                       ("cosine_warmup", lambda o: get_cosine_schedule_with_warmup(o, 3, 12))]:
        optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        scheduler = make(optimizer)
        values = []
        for _ in range(12):
            values.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        schedules[name] = torch.tensor(values, dtype=torch.float32)
    save_tensors(folder / "schedules.safetensors", schedules)

    write_readme(
        folder,
        "Gradients and optimiser trajectories",
        [
            "References for the Training module's backward pass and optimiser.",
            "",
            "- `unet_grads.safetensors`: the `unet/` fixture model (reloaded with `from_pretrained`, plain attention "
            "processors) on `unet/io.safetensors`' `sample`, `timesteps`, `encoder_hidden_states`; "
            "`loss` = mean(output²) [1]; `sample` and `encoder_hidden_states` are the inputs' gradients; every "
            "other tensor is the gradient of the parameter of that name.",
            "- `adamw.safetensors`: `torch.optim.AdamW(lr=1e-2)` with its defaults (betas (0.9, 0.999), eps 1e-8, "
            "weight_decay 0.01) on two parameters `p0` [6] and `p1` [2,3] starting at `pN.initial`, fed the gradients "
            "`pN.grad.i` at steps i = 0…5. `plain.pN.i` are the values after step i. `clipped_cosine.*` repeats the "
            "run with `clip_grad_norm_(params, max_norm=0.5)` before each step (`clipped_cosine.grad_norm` the "
            "returned total norms) and diffusers' `get_cosine_schedule_with_warmup(optimizer, 2, 6)` stepped after "
            "each optimizer step (`clipped_cosine.lr` the learning rate each step used).",
            "- `schedules.safetensors`: the learning rate (base 1) used at each of 12 steps by "
            "`get_constant_schedule_with_warmup(optimizer, 3)` and `get_cosine_schedule_with_warmup(optimizer, 3, 12)`.",
            "",
            *shape_table(folder / "unet_grads.safetensors"),
        ],
        seeds=f"torch.Generator().manual_seed({seed}) for the optimiser's parameters, then its gradients",
    )


# ------------------------------------------------------------------------------------------------------------------
# Driver
# ------------------------------------------------------------------------------------------------------------------

FIXTURES = ["tokenizer", "clip_text", "vae", "unet", "unet_text", "scheduler", "randn", "clip_vocab", "pipelines", "grads"]


def write_index(out: Path) -> None:
    """Top-level README listing the fixture folders."""
    lines = [
        "# Test fixtures",
        "",
        "Golden files for parity tests against diffusers/transformers, made by `scripts/make_fixtures.py` "
        f"(run `{REGENERATE}`). Tiny random-weight models; float32; fixed seeds. Each folder has its own README.",
        "",
        "- `tokenizer/`: tiny CLIP BPE vocabulary and tokenizer outputs for tricky prompts",
        "- `clip_text/`, `clip_text_gelu/`: tiny CLIPTextModel (quick_gelu / gelu) with inputs and outputs",
        "- `vae/`: tiny AutoencoderKL, encode posterior and decode output",
        "- `unet/`: tiny UNet2DConditionModel output and per-block intermediates",
        "- `scheduler/`: DDIMScheduler / DDIMInverseScheduler timesteps and step outputs",
        "- `randn/`: torch CPU randn values per seed and shape",
        "- `clip_vocab/`: the full CLIP BPE vocabulary and tokenizer outputs for generated prompts",
        "- `pipelines/`: tiny SD-1.x / SD-2.x pipelines in diffusers layout (and an fp16 variant) with references",
        "- `grads/`: gradients of the tiny UNet, AdamW / gradient-clipping / LR-schedule trajectories",
        "",
        "Reference outputs come from eager attention (transformers) and the plain `AttnProcessor` (diffusers). "
        "Reloading the saved models with their default SDPA attention reproduces the outputs within about 1.3e-6, "
        "which gives a feel for float32 reordering noise at these sizes.",
        "",
    ]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="fixture root (default: Tests/Fixtures)")
    parser.add_argument("--only", nargs="+", choices=FIXTURES, help="build only these fixtures")
    parser.add_argument("--randn-worker", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.randn_worker:
        randn_worker(args.randn_worker)
        return

    torch.set_num_threads(1)
    selected = args.only or FIXTURES
    args.out.mkdir(parents=True, exist_ok=True)

    tokenizer = None
    if "tokenizer" in selected or "clip_text" in selected:
        if "tokenizer" not in selected and (args.out / "tokenizer" / "vocab.json").exists():
            from transformers import CLIPTokenizer

            tokenizer = CLIPTokenizer.from_pretrained(str(args.out / "tokenizer"))
        else:
            print("tokenizer", flush=True)
            tokenizer = make_tokenizer(args.out)
    if "clip_text" in selected:
        print("clip_text", flush=True)
        make_clip_text(args.out, tokenizer, "quick_gelu", "clip_text", seed=1000)
        make_clip_text(args.out, tokenizer, "gelu", "clip_text_gelu", seed=1100)
    if "vae" in selected:
        print("vae", flush=True)
        make_vae(args.out, seed=2000)
    if "unet" in selected:
        print("unet", flush=True)
        make_unet(args.out, seed=3000)
    if "unet_text" in selected:
        print("unet_text", flush=True)
        make_unet_text(args.out, seed=3100)
    if "scheduler" in selected:
        print("scheduler", flush=True)
        make_scheduler(args.out, seed=4000)
    if "randn" in selected:
        print("randn", flush=True)
        make_randn(args.out)
    if "clip_vocab" in selected:
        print("clip_vocab", flush=True)
        make_clip_vocab(args.out, seed=CLIP_VOCAB_SEED)
    if "pipelines" in selected:
        print("pipelines", flush=True)
        make_pipelines(args.out, seed=5000)
    if "grads" in selected:
        print("grads", flush=True)
        make_grads(args.out, seed=6000)
    write_index(args.out)
    print(f"fixtures written to {args.out}")


if __name__ == "__main__":
    main()
