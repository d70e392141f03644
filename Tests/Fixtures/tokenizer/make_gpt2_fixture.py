"""Generates gpt2_ids.json: GPT-2 token ids of varied.txt (each line, and the whole text) computed by the
HF `tokenizers` package from ../shared/data/gpt2-tokenizer. Run once from the repository root:

    python3 Tests/Fixtures/tokenizer/make_gpt2_fixture.py

The Swift tests compare BytePairTokenizer against this file. Requires `pip install tokenizers`.
"""
import json
import pathlib

from tokenizers import Tokenizer, models, pre_tokenizers, decoders, AddedToken

here = pathlib.Path(__file__).parent
vocab_dir = here.parent.parent.parent.parent / "shared" / "data" / "gpt2-tokenizer"
bpe = models.BPE.from_file(str(vocab_dir / "encoder.json"), str(vocab_dir / "vocab.bpe"))
tokenizer = Tokenizer(bpe)
tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tokenizer.decoder = decoders.ByteLevel()
tokenizer.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])

text = (here / "varied.txt").read_text(encoding="utf-8")
cases = [{"text": line, "ids": tokenizer.encode(line).ids} for line in text.split("\n") if line]
cases.append({"text": text, "ids": tokenizer.encode(text).ids})
(here / "gpt2_ids.json").write_text(json.dumps({"tokenizers_version": __import__("tokenizers").__version__, "cases": cases},
                                               ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
print(f"wrote {len(cases)} cases")
