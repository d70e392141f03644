"""Generates smollm2_ids.json: SmolLM2-135M token ids of varied.txt computed by the HF `tokenizers`
package from the vocabulary embedded in the GGUF file (read with the `gguf` package), with SmolLM2's
pre-tokenizer (digits split one by one, then GPT-2's byte-level split). Run once from the repository
root after `make models`:

    python3 Tests/Fixtures/tokenizer/make_smollm2_fixture.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]

Requires `pip install tokenizers gguf`.
"""
import json
import os
import pathlib
import sys

import gguf
from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

here = pathlib.Path(__file__).parent
default = pathlib.Path(os.environ.get("RAISE_MODELS_DIR", pathlib.Path.home() / ".cache" / "raise" / "models"))
path = sys.argv[1] if len(sys.argv) > 1 else str(default / "SmolLM2-135M-Instruct.Q4_1.gguf")
reader = gguf.GGUFReader(path)


def strings(key):
    field = reader.fields[key]
    return [bytes(field.parts[i]).decode("utf-8") for i in field.data]


tokens, merges = strings("tokenizer.ggml.tokens"), strings("tokenizer.ggml.merges")
types = [int(reader.fields["tokenizer.ggml.token_type"].parts[i][0]) for i in reader.fields["tokenizer.ggml.token_type"].data]
tokenizer = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=[tuple(m.split(" ")) for m in merges]))
tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                   pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t, kind in zip(tokens, types) if kind == 3])

text = (here / "varied.txt").read_text(encoding="utf-8")
chat = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
cases = [{"text": line, "ids": tokenizer.encode(line).ids} for line in text.split("\n") if line]
cases += [{"text": text, "ids": tokenizer.encode(text).ids}, {"text": chat, "ids": tokenizer.encode(chat).ids}]
(here / "smollm2_ids.json").write_text(json.dumps({"cases": cases}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
print(f"wrote {len(cases)} cases")
