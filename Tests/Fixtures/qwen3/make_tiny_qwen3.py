"""Generates tiny-qwen3/, a Qwen3 model folder as transformers saves one (config.json, model.safetensors, and the
tokenizer of ../qwen2/tiny-qwen2: Qwen3 keeps Qwen2's) with random weights; tiny-qwen3.gguf, the same model and
tokenizer in Float32 as llama.cpp's converter lays them out (the `gguf` package's tensor-name map for QWEN3, q and
k rows as HF has them, the head size as `qwen3.attention.key_length`); and tiny_qwen3_reference.json: the model's
per-token losses and first logits for a chat in transformers' Qwen3.

Qwen3 is Qwen2 without the q/k/v biases, with an RMSNorm over each head of the queries and keys before RoPE, and
heads whose size is its own setting (`head_dim`): here 4 heads of 16 on a width of 32, so that the query
projection is wider than the model, as in Qwen3-0.6B (16 heads of 128 on 1024). Every weight is drawn at a scale
that makes the logits differ. Run once from the repository root, after make_tiny_qwen2.py, with the bench virtual
environment (`make venv-bench`):

    .venv-bench/bin/python Tests/Fixtures/qwen3/make_tiny_qwen3.py
"""
import json
import pathlib
import shutil
import sys

import gguf
from transformers import Qwen3Config, Qwen3ForCausalLM

here = pathlib.Path(__file__).parent
sys.path.insert(0, str(here.parent))
from tiny_models import add_tokenizer, chat_reference, gguf_writer, save_random, write_weights  # noqa: E402

folder = here / "tiny-qwen3"
qwen2 = here.parent / "qwen2"
specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

saved = json.loads((qwen2 / "tiny-qwen2" / "tokenizer.json").read_text(encoding="utf-8"))
vocabulary = {**saved["model"]["vocab"], **{t["content"]: t["id"] for t in saved["added_tokens"]}}
config = Qwen3Config(vocab_size=len(vocabulary), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                     num_key_value_heads=2, head_dim=16, max_position_embeddings=512, rope_theta=1_000_000.0, rms_norm_eps=1e-6,
                     tie_word_embeddings=True, use_sliding_window=False, eos_token_id=vocabulary["<|im_end|>"],
                     pad_token_id=vocabulary["<|endoftext|>"], bos_token_id=None)
model = save_random(Qwen3ForCausalLM, config, folder)
for file in ["tokenizer.json", "tokenizer_config.json"]:
    shutil.copyfile(qwen2 / "tiny-qwen2" / file, folder / file)

writer = gguf_writer(here / "tiny-qwen3.gguf", "qwen3", config, 1_000_000.0,
                     head_keys=[("add_key_length", config.head_dim), ("add_value_length", config.head_dim)])
tokens = sorted(vocabulary, key=vocabulary.get)
add_tokenizer(writer, tokens, [gguf.TokenType.CONTROL if t in specials else gguf.TokenType.USER_DEFINED if t == "<tool_call>"
                               else gguf.TokenType.NORMAL for t in tokens], saved["model"]["merges"], "qwen2",
              eos=vocabulary["<|im_end|>"], pad=vocabulary["<|endoftext|>"])
write_weights(writer, gguf.MODEL_ARCH.QWEN3, model)

# The chat of the Qwen2 reference, whose ids that tokenizer gave.
ids = json.loads((qwen2 / "tiny_qwen2_reference.json").read_text(encoding="utf-8"))["chat"]["ids"]
reference = {"chat": chat_reference(model, ids)}
(here / "tiny_qwen3_reference.json").write_text(json.dumps(reference, indent=1) + "\n", encoding="utf-8")
