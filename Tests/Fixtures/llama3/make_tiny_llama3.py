"""Generates tiny-llama3/, a Llama 3 model folder as transformers saves one (config.json with Llama 3's RoPE
scaling, model.safetensors, tokenizer.json, tokenizer_config.json) with random weights; tiny-llama3.gguf, the
same model and tokenizer in Float32 as llama.cpp's converter lays them out (q and k rows permuted to
llama.cpp's rotary layout, the scaling as the `rope_freqs.weight` factors, `tokenizer.ggml.pre` "llama-bpe");
and tiny_llama3_reference.json: the token ids HF `tokenizers` gives for each line of ../tokenizer/varied.txt
(and a few more texts), each text's words under Llama 3's pre-tokenizer (and those of 600 random strings),
and the model's per-token losses and first logits for a chat in transformers' Llama.

The tokenizer is a byte-level BPE trained here on varied.txt with Llama 3's pre-tokenizer (its split pattern,
then ByteLevel without its own regex; no normalizer), Llama 3's `ignore_merges` (a word that is a token of
its own is that token, whatever the merges would make of it) and Llama 3's five chat tokens. Three whole words
are added to the vocabulary without merges, so that `ignore_merges` changes their ids. The post-processor puts
`<|begin_of_text|>` first, as Llama 3's does. The RoPE scaling's bands are chosen so that the head's eight
frequencies fall in all three (kept, interpolated twice, divided by the factor). Run once from the repository
root with the bench virtual environment (`make venv-bench`):

    .venv-bench/bin/python Tests/Fixtures/llama3/make_tiny_llama3.py
"""
import json
import math
import pathlib
import random
import sys

import gguf
import torch
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

here = pathlib.Path(__file__).parent
sys.path.insert(0, str(here.parent))
from tiny_models import LLAMA3_CHAT_TEMPLATE, add_tokenizer, chat_reference, gguf_writer, save_random, write_weights  # noqa: E402

folder = here / "tiny-llama3"
folder.mkdir(exist_ok=True)
pattern = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"
           r"\s+(?!\S)|\s+")
specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
whole_words = ["Ġfine", "Ġcontraction", "Ġplease"]  # added as tokens without merges: only ignore_merges reaches them

varied = (here.parent / "tokenizer" / "varied.txt").read_text(encoding="utf-8")
tokenizer = Tokenizer(models.BPE())
tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
    pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
    pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
tokenizer.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=[AddedToken(t, special=True, normalized=False) for t in specials],
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
tokenizer.train_from_iterator([varied] * 4, trainer=trainer)
saved = json.loads(tokenizer.to_str())
for word in whole_words:
    assert word not in saved["model"]["vocab"], word
    saved["model"]["vocab"][word] = len(saved["model"]["vocab"])
saved["model"]["ignore_merges"] = True
tokenizer = Tokenizer.from_str(json.dumps(saved))
bos = tokenizer.token_to_id("<|begin_of_text|>")
tokenizer.post_processor = processors.Sequence([
    processors.ByteLevel(trim_offsets=False),
    processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B:1",
                                  special_tokens=[("<|begin_of_text|>", bos)])])

fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>",
                               clean_up_tokenization_spaces=True)
rope_scaling = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 8.0,
                "original_max_position_embeddings": 256}
config = LlamaConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048, rope_theta=500_000.0,
                     rope_scaling=rope_scaling, rms_norm_eps=1e-5, tie_word_embeddings=True,
                     bos_token_id=bos, eos_token_id=tokenizer.token_to_id("<|eot_id|>"))
model = save_random(LlamaForCausalLM, config, folder, fast)

# llama.cpp's converter (LlamaModel): the scaling as one divisor per frequency, q and k rows permuted.
head_dim = config.hidden_size // config.num_attention_heads
frequencies = 1.0 / (500_000.0 ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
context = rope_scaling["original_max_position_embeddings"]
low_wavelength, high_wavelength = context / rope_scaling["low_freq_factor"], context / rope_scaling["high_freq_factor"]
factors = []
for frequency in frequencies.tolist():
    wavelength = 2 * math.pi / frequency
    if wavelength < high_wavelength:
        factors.append(1.0)
    elif wavelength > low_wavelength:
        factors.append(rope_scaling["factor"])
    else:
        smooth = (context / wavelength - rope_scaling["low_freq_factor"]) / (rope_scaling["high_freq_factor"] - rope_scaling["low_freq_factor"])
        factors.append(1 / ((1 - smooth) / rope_scaling["factor"] + smooth))
assert sum(f == 1.0 for f in factors) >= 1 and sum(f == rope_scaling["factor"] for f in factors) >= 1
assert sum(1.0 < f < rope_scaling["factor"] for f in factors) == 2, factors


def permuted(name, weights):
    """A q or k projection's rows in llama.cpp's rotary layout (LlamaModel.permute), the rest as it is."""
    heads = {"q_proj": config.num_attention_heads, "k_proj": config.num_key_value_heads}.get(name.split(".")[-2])
    if heads is None:
        return weights
    return weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(weights.shape)


writer = gguf_writer(here / "tiny-llama3.gguf", "llama", config, 500_000.0, head_keys=[("add_rope_dimension_count", head_dim)])
final = json.loads(tokenizer.to_str())
vocabulary = {**final["model"]["vocab"], **{t["content"]: t["id"] for t in final["added_tokens"]}}
tokens = sorted(vocabulary, key=vocabulary.get)
add_tokenizer(writer, tokens, [gguf.TokenType.CONTROL if t in specials else gguf.TokenType.NORMAL for t in tokens],
              final["model"]["merges"], "llama-bpe", eos=tokenizer.token_to_id("<|eot_id|>"), bos=bos, add_bos=True)
writer.add_tensor(gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.ROPE_FREQS] + ".weight", torch.tensor(factors, dtype=torch.float32).numpy())
write_weights(writer, gguf.MODEL_ARCH.LLAMA, model, permuted)

split = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
texts = [line for line in varied.split("\n") if line] + [
    varied, "DON'T stop: it'S fine, THEY'REHERE", "12345 and 1234567 and 12", "x\r\n\r\n  y", "tab\tword\t 42", "  \n  end",
    "!!\n\nnext", "(word) ..dots", "a contraction is fine", "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"]
cases = []
for text in texts:
    words = [word for word, _ in split.pre_tokenize_str(text)]
    cases.append({"text": text, "ids": tokenizer.encode(text, add_special_tokens=False).ids, "words": words})

# Random strings over the characters the pattern tells apart (letters in both cases and of other scripts, digit
# runs, apostrophes, the white space kinds, line breaks, punctuation, a combining mark, emoji), cut by HF's Split.
random.seed(0)
alphabet = list("aZsStTdDrReEvVlLmM'   \t\t\r\n\n.,!?()-_\"#0123456789012345") + ["\u00e9", "\u0301", "\u00a0", "\u3000", "\u65e5",
                                                                                 "\u0416", "\U0001f600", "\u2014", "\u00bd", "\u0663"]
random_texts = []
for _ in range(600):
    text = "".join(random.choice(alphabet) for _ in range(random.randint(1, 24)))
    random_texts.append({"text": text, "words": [word for word, _ in split.pre_tokenize_str(text)]})

chat = ("<|start_header_id|>user<|end_header_id|>\n\nWhat is 12 + 30? Say it in one short sentence, please.<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nIt is 42, which is fine.<|eot_id|>")
ids = tokenizer.encode(chat).ids
assert ids[0] == bos
# Meta-Llama-3-8B-Instruct's chat template on a chat whose texts need trimming.
messages = [{"role": "system", "content": "You answer in one line.\n"}, {"role": "user", "content": "  What is 12 + 30?\n"},
            {"role": "assistant", "content": "It is 42. \n"}, {"role": "user", "content": "And 12 + 31?"},
            {"role": "assistant", "content": "\tIt is 43."}]
rendered = fast.apply_chat_template(messages, chat_template=LLAMA3_CHAT_TEMPLATE, tokenize=False)
reference = {"cases": cases, "random": random_texts, "rope_factors": factors,
             "chat": {"text": chat, **chat_reference(model, ids)},
             "chat_template": {"messages": messages, "text": rendered}}
(here / "tiny_llama3_reference.json").write_text(json.dumps(reference, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
