#!/usr/bin/env python3
"""A large JSONL pool for `make bench-scale`: the real records of ../shared/data (alpaca-libre ok rows,
GPTeacher, GSM8K), cycled with a variant number in the instruction (so no two records are equal) until
the file holds SIZE bytes. Written to a temporary file, then renamed.

usage: make_big_pool.py DATA_DIR OUT_FILE SIZE_BYTES
"""
import json, os, sys

data, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3])


def records():
    with open(os.path.join(data, "alpaca-libre/alpaca_libre_tasks_v1.jsonl"), encoding="utf-8") as f:
        for line in f.read().split("\n"):
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if row.get("status") == "ok":
                yield row["instruction"], row.get("input", ""), row["output"]
    for name in ("codegen", "roleplay", "toolformer"):
        with open(os.path.join(data, f"gpteacher/{name}-instruct.json"), encoding="utf-8") as f:
            for row in json.load(f):
                yield row["instruction"], row.get("input", ""), row["response"]
    with open(os.path.join(data, "gsm8k/train.jsonl"), encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if line:
                row = json.loads(line)
                yield row["question"], "", row["answer"]


base = list(records())
written, count, variant = 0, 0, 0
with open(out + ".part", "w", encoding="utf-8") as f:
    while written < size:
        for instruction, context, output in base:
            line = json.dumps({"id": f"r{count}", "instruction": f"{instruction} (variant {variant})", "input": context,
                               "output": output}, ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode())
            count += 1
            if written >= size:
                break
        variant += 1
os.replace(out + ".part", out)
print(f"{count} records, {written} bytes -> {out}")
