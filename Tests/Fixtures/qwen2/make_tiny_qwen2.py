"""Generates tiny-qwen2/, a Qwen2 model folder as transformers saves one (config.json, model.safetensors,
tokenizer.json, tokenizer_config.json) with random weights; tiny-qwen2.gguf, the same model and tokenizer in
Float32 as llama.cpp's converter lays them out (the `gguf` package's tensor-name map for QWEN2, q and k rows
as HF has them, `tokenizer.ggml.pre` "qwen2"); and tiny_qwen2_reference.json: the token ids HF
`tokenizers` gives for each line of ../tokenizer/varied.txt (and a few more texts), each text's words under
Qwen2's pre-tokenizer (and those of 600 random strings), and the model's per-token losses and first logits
for a chat in transformers' Qwen2.

The tokenizer is a byte-level BPE of 400 tokens trained here on varied.txt with Qwen2's normalizer (NFC)
and pre-tokenizer (its split pattern, then ByteLevel without its own regex), as Qwen2.5's tokenizer.json
has them, and a non-special added token, `<tool_call>`, as Qwen2.5 has it: 401 in all. The model has Qwen2's q/k/v biases; every weight and bias is drawn at a scale that makes the
logits differ. Run once from the repository root with the bench virtual environment (`make venv-bench`):

    .venv-bench/bin/python Tests/Fixtures/qwen2/make_tiny_qwen2.py
"""
import json
import pathlib
import random
import sys
import unicodedata

import gguf
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

here = pathlib.Path(__file__).parent
sys.path.insert(0, str(here.parent))
from tiny_models import add_tokenizer, chat_reference, gguf_writer, save_random, write_weights  # noqa: E402
folder = here / "tiny-qwen2"
pattern = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"
           r"\s+(?!\S)|\s+")
specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

varied = (here.parent / "tokenizer" / "varied.txt").read_text(encoding="utf-8")
tokenizer = Tokenizer(models.BPE())
tokenizer.normalizer = normalizers.NFC()
tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
    pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
    pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)])
tokenizer.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=[AddedToken(t, special=True, normalized=False) for t in specials],
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
tokenizer.train_from_iterator([varied] * 4, trainer=trainer)
tokenizer.add_tokens([AddedToken("<tool_call>", special=False, normalized=False)])  # as Qwen2.5 has it: matched whole

fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                               bos_token=None, clean_up_tokenization_spaces=False)
config = Qwen2Config(vocab_size=tokenizer.get_vocab_size(), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512, rope_theta=1_000_000.0,
                     rms_norm_eps=1e-6, tie_word_embeddings=True, use_sliding_window=False,
                     eos_token_id=tokenizer.token_to_id("<|im_end|>"), pad_token_id=tokenizer.token_to_id("<|endoftext|>"),
                     bos_token_id=None)
model = save_random(Qwen2ForCausalLM, config, folder, fast)

writer = gguf_writer(here / "tiny-qwen2.gguf", "qwen2", config, 1_000_000.0)
saved = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
vocabulary = {**saved["model"]["vocab"], **{t["content"]: t["id"] for t in saved["added_tokens"]}}
tokens = sorted(vocabulary, key=vocabulary.get)
add_tokenizer(writer, tokens, [gguf.TokenType.CONTROL if t in specials else gguf.TokenType.USER_DEFINED if t == "<tool_call>"
                               else gguf.TokenType.NORMAL for t in tokens], saved["model"]["merges"], "qwen2",
              eos=tokenizer.token_to_id("<|im_end|>"), pad=tokenizer.token_to_id("<|endoftext|>"))
write_weights(writer, gguf.MODEL_ARCH.QWEN2, model)

texts = [line for line in varied.split("\n") if line] + [
    varied, "DON'T stop: it'S fine, THEY'REHERE", "Cafe\u0301 vs caf\u00e9", "x\r\n\r\n  y", "tab\tword\t 42", "  \n  end", "!!\n\nnext",
    "(word) ..dots", "<|im_start|>user\nHi<|im_end|>\n", "call <tool_call>{\"x\": 1}"]
cases = []
for text in texts:
    normalized = unicodedata.normalize("NFC", text)
    words = [word for word, _ in pre_tokenizers.Split(Regex(pattern), behavior="isolated").pre_tokenize_str(normalized)]
    cases.append({"text": text, "ids": tokenizer.encode(text).ids, "words": words})

# Random strings over the characters the pattern tells apart (letters in both cases and of other scripts,
# digits, apostrophes, the white space kinds, line breaks, punctuation, a combining mark, emoji), cut by HF's Split.
random.seed(0)
alphabet = list("aZsStTdDrReEvVlLmM'   \t\t\r\n\n.,!?()-_\"#0123456789") + ["\u00e9", "\u0301", "\u00a0", "\u3000", "\u65e5", "\u0416",
                                                                        "\U0001f600", "\u2014", "\u00bd", "\u0663"]
split = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
randomTexts = []
for _ in range(600):
    text = unicodedata.normalize("NFC", "".join(random.choice(alphabet) for _ in range(random.randint(1, 24))))
    randomTexts.append({"text": text, "words": [word for word, _ in split.pre_tokenize_str(text)]})

chat = "<|im_start|>user\nWhat is 12 + 30?<|im_end|>\n<|im_start|>assistant\nIt is 42.<|im_end|>"
reference = {"cases": cases, "random": randomTexts, "chat": chat_reference(model, tokenizer.encode(chat).ids)}
(here / "tiny_qwen2_reference.json").write_text(json.dumps(reference, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
