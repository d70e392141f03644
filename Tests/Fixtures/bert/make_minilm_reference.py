"""Generates minilm_reference.json: all-MiniLM-L6-v2 as the Hugging Face libraries run it, independently
of raise. The token ids come from HF tokenizers reading the model's own tokenizer.json; the embeddings
from transformers' BertModel, mean-pooled over every token and scaled to unit length (sentence-
transformers' Transformer + Pooling + Normalize modules). Run once from the repository root after
`make models`:

    .venv-bench/bin/python Tests/Fixtures/bert/make_minilm_reference.py [path/to/all-MiniLM-L6-v2]

Requires torch, transformers and tokenizers.
"""
import json
import os
import pathlib
import sys

import torch
from tokenizers import Tokenizer
from transformers import BertModel

here = pathlib.Path(__file__).parent
default = pathlib.Path(os.environ.get("RAISE_MODELS_DIR", pathlib.Path.home() / ".cache" / "raise" / "models"))
folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else default / "all-MiniLM-L6-v2")

# Plain English, punctuation, accents and case, CJK, digits, a word longer than the vocabulary knows,
# control characters and odd whitespace: the paths of BERT's basic tokenizer and of WordPiece.
texts = [
    "The cat sat on the mat.",
    "A man is playing a guitar on stage!",
    "Café Déjà-vu: naïve résumé, ÉLAN & Straße.",
    "東京は日本の首都です。 Tokyo (東京) is Japan's capital.",
    "x = 3.14159 * r^2; print(f'{x:.2f}') # area",
    "pneumonoultramicroscopicsilicovolcanoconiosis and antidisestablishmentarianism",
    "tabs\tand\u00a0non-breaking\u2003spaces, a\u200bzero-width joiner, and \u0007 a bell",
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
]

tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
tokenizer.no_truncation()
tokenizer.no_padding()
model = BertModel.from_pretrained(str(folder)).eval()

records = []
with torch.no_grad():
    for text in texts:
        ids = tokenizer.encode(text).ids  # [CLS] … [SEP]
        hidden = model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long)).last_hidden_state[0]
        embedding = torch.nn.functional.normalize(hidden.mean(dim=0), dim=0)
        records.append({"text": text, "ids": ids, "embedding": [round(float(v), 7) for v in embedding]})

with open(here / "minilm_reference.json", "w") as f:
    json.dump({"model": "sentence-transformers/all-MiniLM-L6-v2", "records": records}, f, ensure_ascii=False)
    f.write("\n")
print(f"wrote {here / 'minilm_reference.json'}: {len(records)} texts")
