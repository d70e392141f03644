"""Generates smollm2_losses.json: a reference forward pass of SmolLM2-135M-Instruct written once in numpy,
independently of raise. It reads the GGUF file with the `gguf` package, dequantizes every tensor, applies
RoPE in llama.cpp's adjacent-pair layout directly to the stored (permuted) q/k weights, and records the
per-token loss of a short chat. raise un-permutes q/k and uses the half-split layout instead, so agreement
checks both. Run once from the repository root after `make models`:

    python3 Tests/Fixtures/llama/make_smollm2_reference.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]

Requires numpy, gguf and tokenizers.
"""
import json
import os
import pathlib
import sys

import numpy as np
import gguf
from gguf.quants import dequantize
from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

here = pathlib.Path(__file__).parent
default = pathlib.Path(os.environ.get("RAISE_MODELS_DIR", pathlib.Path.home() / ".cache" / "raise" / "models"))
path = sys.argv[1] if len(sys.argv) > 1 else str(default / "SmolLM2-135M-Instruct.Q4_1.gguf")
reader = gguf.GGUFReader(path)


def field(key):
    f = reader.fields[key]
    return f.parts[f.data[0]][0]


def strings(key):
    f = reader.fields[key]
    return [bytes(f.parts[i]).decode("utf-8") for i in f.data]


tensors = {}
for t in reader.tensors:
    shape = tuple(int(x) for x in reversed(t.shape))  # PyTorch order
    tensors[t.name] = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(shape)

layers, width = int(field("llama.block_count")), int(field("llama.embedding_length"))
heads, kv_heads = int(field("llama.attention.head_count")), int(field("llama.attention.head_count_kv"))
base, eps = float(field("llama.rope.freq_base")), float(field("llama.attention.layer_norm_rms_epsilon"))
d = width // heads

tokens, merges = strings("tokenizer.ggml.tokens"), strings("tokenizer.ggml.merges")
types_field = reader.fields["tokenizer.ggml.token_type"]
types = [int(types_field.parts[i][0]) for i in types_field.data]
tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=[tuple(m.split(" ")) for m in merges]))
tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                             pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t, k in zip(tokens, types) if k == 3])
text = ("<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
        "The capital of France is Paris.<|im_end|>")
ids = tok.encode(text).ids


def rms_norm(x, w):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def rope_adjacent(x, n_heads):  # x (T, n_heads*d); pairs (2i, 2i+1) rotate by pos * base^(-2i/d)
    t = x.shape[0]
    x = x.reshape(t, n_heads, d // 2, 2)
    angles = np.arange(t)[:, None] * base ** (-np.arange(0, d, 2) / d)[None, :]
    cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
    x0, x1 = x[..., 0], x[..., 1]
    return np.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], -1).reshape(t, n_heads * d)


x = tensors["token_embd.weight"][ids]
t = len(ids)
mask = np.triu(np.full((t, t), -np.inf, dtype=np.float32), 1)
for l in range(layers):
    p = f"blk.{l}."
    h = rms_norm(x, tensors[p + "attn_norm.weight"])
    q = rope_adjacent(h @ tensors[p + "attn_q.weight"].T, heads).reshape(t, heads, d)
    k = rope_adjacent(h @ tensors[p + "attn_k.weight"].T, kv_heads).reshape(t, kv_heads, d)
    v = (h @ tensors[p + "attn_v.weight"].T).reshape(t, kv_heads, d)
    out = np.zeros((t, heads, d), dtype=np.float32)
    for head in range(heads):
        g = head // (heads // kv_heads)
        scores = q[:, head] @ k[:, g].T / np.sqrt(d) + mask
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        out[:, head] = weights @ v[:, g]
    x = x + out.reshape(t, width) @ tensors[p + "attn_output.weight"].T
    h = rms_norm(x, tensors[p + "ffn_norm.weight"])
    gate = h @ tensors[p + "ffn_gate.weight"].T
    x = x + ((gate / (1 + np.exp(-gate))) * (h @ tensors[p + "ffn_up.weight"].T)) @ tensors[p + "ffn_down.weight"].T
logits = rms_norm(x, tensors["output_norm.weight"]) @ tensors.get("output.weight", tensors["token_embd.weight"]).T
logits = logits - logits.max(-1, keepdims=True)
log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
losses = [float(-log_probs[i, ids[i + 1]]) for i in range(t - 1)]
(here / "smollm2_losses.json").write_text(json.dumps({"text": text, "ids": ids, "losses": losses}, indent=1) + "\n")
print(f"{len(ids)} tokens, mean loss {np.mean(losses):.4f}")
