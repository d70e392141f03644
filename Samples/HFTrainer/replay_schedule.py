"""Replays a RAISE schedule as the batch order of a transformers training loop.

    python replay_schedule.py --model SmolLM2-135M-Instruct.Q4_1.gguf --schedule schedule.jsonl \
        --lr 1e-4 --context 256 [--steps N] [--compare selection.jsonl --tolerance X]

`raise select --selector raise:policy=DIR --budget … --out schedule.jsonl` writes one line per pick: the step,
the position in the step's batch and the record (as it was read). Here each step's records become one batch,
in that order, formatted and tokenized as raise does it (ChatML, each piece tokenized on its own, the loss on
the answer and its <|im_end|> only), and the model is trained with raise's optimizer: AdamW (β = 0.9, 0.95,
ε = 1e-8, weight decay 0.01 except on norms), global gradient-norm clip 1, a linear warm-up over the first 5%
of the steps to --lr, then cosine decay to --lr / 10. Replace the loop's body with your own trainer's step —
the schedule is just the order of the data.

With --compare (the selection.jsonl of `raise finetune --selector raise:policy=DIR` on the same pool, budget
and seed), each step's training loss is checked against raise's; the exit status is 1 if one differs by more
than --tolerance.
"""
import argparse
import itertools
import json
import math
import os
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def chatml_pieces(record):
    """raise's ChatML template: (text, trained) pieces of an instruction record."""
    instruction = record["instruction"]
    if record.get("input"):
        instruction += "\n\n" + record["input"]
    return [("<|im_start|>user\n" + instruction + "<|im_end|>\n<|im_start|>assistant\n", False),
            (record["output"] + "<|im_end|>", True), ("\n", False)]


def tokenize(tokenizer, record, max_length):
    """Token ids and loss mask, cut to max_length as raise cuts: prompt tokens from the left first, then from the right."""
    ids, mask = [], []
    for text, trained in chatml_pieces(record):
        piece = tokenizer(text, add_special_tokens=False)["input_ids"]
        ids += piece
        mask += [trained] * len(piece)
    excess = max(0, len(ids) - max_length)
    from_left = min(excess, mask.index(True) if True in mask else len(ids))
    ids, mask = ids[from_left:len(ids) - (excess - from_left)], mask[from_left:len(mask) - (excess - from_left)]
    mask[0] = False  # nothing precedes the first token
    return ids, mask


def learning_rate(step, steps, peak):
    """raise's fine-tuning schedule at a 0-based step."""
    warmup = max(1, steps // 20)
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(steps - warmup, 1)
    return peak / 10 + (peak - peak / 10) * 0.5 * (1 + math.cos(math.pi * progress))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="a .gguf file or a transformers model folder")
    parser.add_argument("--schedule", required=True)
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--context", type=int, default=256, help="raise's ctx: an example keeps at most ctx + 1 tokens (ctx predictions)")
    parser.add_argument("--steps", type=int, help="replay only the first N steps (the schedule's rate still spans all)")
    parser.add_argument("--compare", help="raise finetune's selection.jsonl: check each step's loss against it")
    parser.add_argument("--tolerance", type=float, default=1e-3)
    args = parser.parse_args()

    if args.model.endswith(".gguf"):
        folder, name = os.path.split(os.path.abspath(args.model))
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    else:
        tokenizer = AutoTokenizer.from_pretrained(args.model)
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32)
    model.train()
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    with open(args.schedule, encoding="utf-8") as file:
        lines = [json.loads(line) for line in file]
    batches = [[line["record"] for line in group] for _, group in itertools.groupby(lines, key=lambda line: line["step"])]
    steps = len(batches)

    decayed = [p for name, p in model.named_parameters() if "norm" not in name]
    kept = [p for name, p in model.named_parameters() if "norm" in name]
    optimizer = torch.optim.AdamW([{"params": decayed, "weight_decay": 0.01}, {"params": kept, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    raise_losses = None
    if args.compare:
        with open(args.compare, encoding="utf-8") as file:
            raise_losses = [json.loads(line)["loss"] for line in file]

    failures = 0
    for step, records in enumerate(batches[:args.steps]):
        examples = [tokenize(tokenizer, record, args.context + 1) for record in records]
        length = max(len(ids) for ids, _ in examples)
        inputs = torch.tensor([ids + [pad] * (length - len(ids)) for ids, _ in examples])
        attention = torch.tensor([[1] * len(ids) + [0] * (length - len(ids)) for ids, _ in examples])
        labels = torch.tensor([[t if m else -100 for t, m in zip(ids, mask)] + [-100] * (length - len(ids)) for ids, mask in examples])
        # The mean over every answer token of the batch (raise's loss), not the mean of per-example means.
        logits = model(input_ids=inputs, attention_mask=attention).logits
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1),
                                                 ignore_index=-100, reduction="mean")
        optimizer.zero_grad()
        loss.backward()
        norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in model.parameters() if p.grad is not None))
        if norm > 1:
            for p in model.parameters():
                if p.grad is not None:
                    p.grad.mul_(float(1 / norm))
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, steps, args.lr)
        optimizer.step()

        line = {"step": step, "examples": len(records), "loss": loss.item()}
        if raise_losses is not None:
            line["raise_loss"] = raise_losses[step]
            line["difference"] = abs(loss.item() - raise_losses[step])
            failures += line["difference"] > args.tolerance
        print(json.dumps(line), flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
