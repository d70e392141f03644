"""Checks a model folder written by raise against Hugging Face transformers.

    python check_export.py MODEL_DIR LOSSES.jsonl [--tolerance 1e-3]

MODEL_DIR is what `raise finetune --out` (or `raise pretrain --out`) wrote for a LLaMA or Qwen2 model;
LOSSES.jsonl is what `raise evaluate --model MODEL_DIR --val FILE --losses LOSSES.jsonl` wrote. For every record
the script loads the folder with AutoTokenizer and AutoModelForCausalLM and checks that
  1. transformers' tokenizer gives raise's token ids for each template piece (records raise cut to its context
     are skipped here: their ids are not the whole text), and
  2. the model's mean answer-token loss on raise's ids is within the tolerance of raise's, and
  3. when the folder carries a chat template (raise saves one with every model trained in a chat template: the
     model's own, or raise's as Jinja), transformers' apply_chat_template writes each record's messages as raise's
     template pieces write them — given the date raise's llama3.1 writes, which Llama 3.2's own template would
     otherwise take from the day of rendering (other templates ignore it).
It prints one line per failure and a JSON summary last; the exit status is 1 if anything failed.
"""
import argparse
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


# The date Llama 3.1's chat template writes when given none, which raise's llama3.1 template writes too.
LLAMA31_DATE = "26 Jul 2024"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("losses")
    parser.add_argument("--tolerance", type=float, default=1e-3)
    args = parser.parse_args()

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32)
    model.eval()

    records = [json.loads(line) for line in open(args.losses, encoding="utf-8")]
    token_failures, loss_failures, template_failures, largest = 0, 0, 0, 0.0
    for record in records:
        if tokenizer.chat_template:
            text = "".join(piece["text"] for piece in record["pieces"])
            if tokenizer.apply_chat_template(record["messages"], tokenize=False, date_string=LLAMA31_DATE) != text:
                template_failures += 1
                print(f"{record['id']}: transformers' chat template writes another text than raise's template", file=sys.stderr)
        ids = record["ids"]
        if not record["truncated"]:
            expected = [tokenizer.bos_token_id] if record["bos"] else []
            for piece in record["pieces"]:
                expected += tokenizer(piece["text"], add_special_tokens=False)["input_ids"]
            if expected != ids:
                token_failures += 1
                print(f"{record['id']}: transformers' tokens differ from raise's", file=sys.stderr)
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0]
        nll = torch.nn.functional.cross_entropy(logits[:-1].double(), torch.tensor(ids[1:]), reduction="none")
        mask = torch.tensor(record["loss_mask"][1:], dtype=torch.float64)
        loss = float((nll * mask).sum() / mask.sum())
        difference = abs(loss - record["loss"])
        largest = max(largest, difference)
        if difference > args.tolerance:
            loss_failures += 1
            print(f"{record['id']}: transformers' loss {loss:.6f}, raise's {record['loss']:.6f}", file=sys.stderr)

    summary = {"records": len(records), "token_mismatches": token_failures, "loss_mismatches": loss_failures,
               "chat_template": "checked" if tokenizer.chat_template else "none", "chat_template_mismatches": template_failures,
               "largest_loss_difference": largest, "tolerance": args.tolerance}
    print(json.dumps(summary))
    sys.exit(1 if token_failures or loss_failures or template_failures else 0)


if __name__ == "__main__":
    main()
