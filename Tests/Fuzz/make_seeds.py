#!/usr/bin/env python3
"""Seed corpora for `make fuzz`: small inputs per target, cut from ../shared/data and the test fixtures,
plus hand-made safetensors and GGUF files covering every dtype the readers convert.

usage: make_seeds.py DATA_DIR OUT_DIR      (writes OUT_DIR/<target>/<name>)
"""
import json, os, struct, sys

data, out = sys.argv[1], sys.argv[2]
fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures")


def seed(target, name, content):
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(content if isinstance(content, bytes) else content.encode())


def head_lines(path, count):
    """The first `count` lines of a file, split on '\\n' only (records may hold U+2028)."""
    with open(path, "rb") as f:
        return b"".join(f.readline() for _ in range(count))


# JSON and JSON lines: the first records of every JSONL file, a JSON array cut from GPTeacher, the fixtures.
jsonl_files = ["gsm8k/train.jsonl", "alpaca-libre/alpaca_libre_tasks_v1.jsonl", "alpaca-libre/alpaca_libre_tasks_v2.jsonl",
               "alpaca-eval/alpaca_eval.jsonl", "seed-tasks/seed_tasks.jsonl"]
for path in jsonl_files:
    name = path.replace("/", "_")
    for count in (1, 3):
        seed("jsonl", f"{name}.{count}", head_lines(os.path.join(data, path), count))
    seed("json", name, head_lines(os.path.join(data, path), 1))
with open(os.path.join(data, "alpaca-libre/alpaca_libre_tasks_v2.jsonl"), "rb") as f:
    lines = f.read().split(b"\n")
seed("jsonl", "malformed-line", b"\n".join(lines[2276:2280]))  # line 2279 is malformed upstream
for name in ("codegen", "roleplay", "toolformer"):
    with open(os.path.join(data, f"gpteacher/{name}-instruct.json"), encoding="utf-8") as f:
        records = json.load(f)[:2]
    seed("json", f"gpteacher-{name}", json.dumps(records, ensure_ascii=False))
    seed("jsonl", f"gpteacher-{name}", json.dumps(records, ensure_ascii=False))
for folder in ("bert", "llama"):
    for name in os.listdir(os.path.join(fixtures, folder)):
        if name.endswith(".json"):
            with open(os.path.join(fixtures, folder, name), "rb") as f:
                seed("json", f"{folder}-{name}", f.read()[:4096])
seed("json", "numbers", '[0, -0, 1e308, -1.5e-300, 123456789012345678901234567890, 0.1, "\\u00e9\\ud83d\\ude00", true, null, {}]')

# ShareGPT and messages, as a JSON array and as JSON lines.
conversation = {"id": "c1", "conversations": [{"from": "system", "value": "Be brief."}, {"from": "human", "value": "2+2?"},
                                               {"from": "gpt", "value": "4"}, {"from": "human", "value": "and 3+3?"},
                                               {"from": "gpt", "value": "6"}]}
messages = {"messages": [{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "hi"}]}
seed("sharegpt", "array", json.dumps([conversation, conversation | {"id": "c2"}]))
seed("sharegpt", "lines", json.dumps(conversation) + "\n" + json.dumps(conversation | {"id": "c2"}) + "\n")
seed("sharegpt", "messages-array", json.dumps([messages]))
seed("sharegpt", "messages-lines", json.dumps(messages) + "\n" + json.dumps(messages) + "\n")
seed("jsonl", "sharegpt", json.dumps(conversation) + "\n")

# CSV: MMLU rows (quoted fields among them) and files under a header, quoted fields over two lines too.
for name in ("abstract_algebra_dev", "high_school_physics_dev"):
    seed("csv", f"mmlu-{name}", head_lines(os.path.join(data, f"mmlu/dev/{name}.csv"), 5))
seed("csv", "header", 'id,instruction,input,output,task\n1,"Add, then halve",4 and 6,5,math\n2,"Say ""hi""",,"hi\nthere",talk\n')
for name in ("alpaca.jsonl.gz", "alpaca.jsonl.zst"):  # two gzip members, two Zstandard frames, read as the JSON lines inside
    with open(os.path.join(fixtures, "compressed", name), "rb") as f:
        seed("jsonl", name, f.read())
for name in sorted(os.listdir(os.path.join(fixtures, "parquet"))):  # pyarrow's files: every codec, encoding and shape
    if name.endswith(".parquet"):
        with open(os.path.join(fixtures, "parquet", name), "rb") as f:
            seed("parquet", name, f.read())
seed("csv", "header-mapped-bom", '\ufeffquestion,answer,lang\nWhy?,Because.,en\n\nHow?,\"Thus, so.\",fr\n')

# safetensors: one tensor of each readable dtype, with metadata.
def safetensors(tensors, metadata=None):
    header, body = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body

seed("safetensors", "every-dtype", safetensors({
    "f32": ("F32", [2, 2], struct.pack("<4f", 1.0, -2.5, 0.0, 3.25)),
    "f16": ("F16", [3], struct.pack("<3e", 1.0, -0.5, 65504.0)),
    "bf16": ("BF16", [2], struct.pack("<2H", 0x3F80, 0xC000)),
    "i64": ("I64", [2], struct.pack("<2q", 7, -(1 << 24))),
    "i32": ("I32", [1, 2], struct.pack("<2i", 0, 12345)),
    "empty": ("F32", [0, 4], b""),
}, {"format": "pt", "note": "seed"}))
seed("safetensors", "scalar", safetensors({"s": ("F32", [], struct.pack("<f", 2.0))}))

# GGUF (version 3): metadata of every value type, a byte-level tokenizer, tensors of every ggml type read.
def gguf_string(text):
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw

def gguf_value(kind, value):
    formats = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
    if kind == 8:
        return gguf_string(value)
    if kind == 9:
        element, items = value
        return struct.pack("<IQ", element, len(items)) + b"".join(gguf_value(element, item) for item in items)
    return struct.pack(formats[kind], value)

def gguf(metadata, tensors, alignment=32):
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, kind, value in metadata:
        out += gguf_string(key) + struct.pack("<I", kind) + gguf_value(kind, value)
    body, infos = b"", b""
    for name, ggml_type, shape, raw in tensors:
        body += b"\0" * (-len(body) % alignment)
        infos += gguf_string(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", d) for d in reversed(shape))
        infos += struct.pack("<IQ", ggml_type, len(body))
        body += raw
    out += infos
    out += b"\0" * (-len(out) % alignment)
    return out + body

byte_tokens = ["a", "b", "c", "Ġ", "ab", "Ġa", "<|im_start|>", "<|im_end|>"]
tokenizer = [("tokenizer.ggml.model", 8, "gpt2"), ("tokenizer.ggml.pre", 8, "smollm"),
             ("tokenizer.ggml.tokens", 9, (8, byte_tokens)), ("tokenizer.ggml.token_type", 9, (5, [1, 1, 1, 1, 1, 1, 3, 3])),
             ("tokenizer.ggml.merges", 9, (8, ["a b", "Ġ a"])), ("tokenizer.ggml.eos_token_id", 4, 7),
             ("tokenizer.ggml.bos_token_id", 4, 6), ("tokenizer.ggml.add_bos_token", 7, True)]
every_type = [("u8", 0, 1), ("i8", 1, -1), ("u16", 2, 2), ("i16", 3, -2), ("u32", 4, 3), ("i32", 5, -3), ("f32", 6, 0.5),
              ("bool", 7, False), ("u64", 10, 4), ("i64", 11, -4), ("f64", 12, 0.25), ("text", 8, "é"),
              ("nested", 9, (9, [(4, [1, 2]), (8, ["x"])])), ("general.alignment", 4, 32)]
f16_block = struct.pack("<e", 0.5)
tensors = [("f32", 0, [2, 3], struct.pack("<6f", *range(6))), ("f16", 1, [4], struct.pack("<4e", 1, 2, 3, 4)),
           ("q8_0", 8, [32], f16_block + bytes(range(32))), ("q4_0", 2, [32], f16_block + bytes(range(16))),
           ("q4_1", 3, [1, 32], f16_block + struct.pack("<e", -1.0) + bytes(range(16, 32))),
           ("bf16", 30, [2], struct.pack("<2H", 0x3F80, 0x4000)),
           ("q5_0", 6, [32], f16_block + bytes(range(20))), ("q5_1", 7, [32], f16_block + f16_block + bytes(range(20))),
           # The K-quants, 256 elements a block: every byte counted up, the Float16 scales where ggml puts them.
           ("q2_k", 10, [256], bytes(range(80)) + f16_block * 2), ("q3_k", 11, [256], bytes(range(108)) + f16_block),
           ("q4_k", 12, [256], f16_block * 2 + bytes(range(140))), ("q5_k", 13, [256], f16_block * 2 + bytes(range(172))),
           ("q6_k", 14, [256], bytes(range(208)) + f16_block),
           ("iq4_nl", 20, [32], f16_block + bytes(range(16))), ("iq4_xs", 23, [256], f16_block + bytes(range(134)))]
seed("gguf", "every-type", gguf([(k, t, v) for k, t, v in every_type] + tokenizer, tensors))
seed("gguf", "tokenizer-only", gguf(tokenizer, []))
seed("gguf", "tokenizer-llama3", gguf([(k, t, "llama-bpe" if k == "tokenizer.ggml.pre" else v) for k, t, v in tokenizer], []))
seed("gguf", "empty", gguf([], []))

# BPE: varied text from the fixtures and the data.
with open(os.path.join(fixtures, "tokenizer/varied.txt"), "rb") as f:
    seed("bpe", "varied", f.read())
for path in jsonl_files[:3]:
    seed("bpe", path.replace("/", "_"), head_lines(os.path.join(data, path), 1))
seed("bpe", "specials", "<|endoftext|>hello<|im_start|>user\n12345 678\t\u00e9\u4e2d\U0001F600<|im_end|>")

# Tokenizer folders: encoder.json, a NUL, raise_tokenizer.json (a small saved vocabulary: the 256 byte tokens
# in GPT-2's byte-to-character table, then the special tokens).
def byte_characters():
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table

encoder = {character: b for b, character in byte_characters().items()}
encoder.update({"<|endoftext|>": 256, "<|im_start|>": 257, "<|im_end|>": 258})
extras = {"pre_tokenizer": "gpt2", "bos": 256, "eos": 256, "pad": 256, "specials": {"<|endoftext|>": 256, "<|im_start|>": 257, "<|im_end|>": 258}}
seed("tokenizer-folder", "saved", json.dumps(encoder) + "\0" + json.dumps(extras))
seed("tokenizer-folder", "gpt2-style", json.dumps(encoder))

# Hugging Face tokenizer.json files of each layout raise reads (vocabulary: the 256 bytes and "ab"), with a
# tokenizer_config.json after a NUL for some.
vocab = {character: b for b, character in byte_characters().items()}
vocab["ab"] = 256
added = [{"id": 257 + i, "content": text, "special": special, "single_word": False, "lstrip": False, "rstrip": False,
          "normalized": False} for i, (text, special) in enumerate([("<|endoftext|>", True), ("<|im_start|>", True),
                                                                    ("<|im_end|>", True), ("<tool_call>", False)])]
byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
qwen2 = {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
         "behavior": "Isolated", "invert": False}
llama3 = dict(qwen2, pattern={"Regex": qwen2["pattern"]["Regex"].replace("\\p{N}|", "\\p{N}{1,3}|")})
bos_template = {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]}
def hf_tokenizer(pre_tokenizer, normalizer=None, post_processor=None, merges=("a b",), ignore_merges=False):
    return json.dumps({"version": "1.0", "added_tokens": added, "normalizer": normalizer, "pre_tokenizer": pre_tokenizer,
                       "post_processor": post_processor,
                       "model": {"type": "BPE", "vocab": vocab, "merges": list(merges), "ignore_merges": ignore_merges}})
config = json.dumps({"add_bos_token": False, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"})
seed("hf-tokenizer", "gpt2", hf_tokenizer({"type": "ByteLevel", "add_prefix_space": False}))
seed("hf-tokenizer", "digits", hf_tokenizer({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
                                                                                  dict(byte_level, use_regex=True)]},
                                            merges=(["a", "b"],)) + "\0" + config)
seed("hf-tokenizer", "qwen2", hf_tokenizer({"type": "Sequence", "pretokenizers": [qwen2, byte_level]}, {"type": "NFC"},
                                           {"type": "Sequence", "processors": [byte_level, bos_template]}) + "\0" + config)
seed("hf-tokenizer", "llama3", hf_tokenizer({"type": "Sequence", "pretokenizers": [llama3, byte_level]},
                                            post_processor={"type": "Sequence", "processors": [byte_level, bos_template]},
                                            ignore_merges=True) + "\0" + config)

# Plugin specs and command lines (a command-index byte, then arguments separated by NUL).
for i, spec in enumerate(["fuzz:path=x", 'fuzz:path="a,b=c",count=3,rate=0.25,on=yes,band=bottom', 'selector.fuzz:path="q\\"\\\\",on=0',
                          "ifd:threshold=1.0,band=top", 'llama:path="/models/a,b.gguf",ctx=256', "x:a=1,a=2", "x:=1", 'x:p="open']):
    seed("plugin-spec", f"spec{i}", spec)
for i, argv in enumerate([[b"--data", b"pool.jsonl", b"--budget", b"5%", b"--selector", b"ifd:band=top", b"--seed", b"3"],
                          [b"--parts", b"val=200,test=500,pool=rest", b"--fields", b"instruction=question,output=answer", b"--where", b"status=ok"],
                          [b"--state", b"stage,difficulty", b"--threads=2", b"--json", b"--", b"--extra"],
                          [b"--budgets", b"1%,5%,10%,100steps,2000examples,100000tokens", b"--seeds", b"3"]]):
    for command in (0, 13, 16, 18):
        seed("cli", f"argv{i}-{command}", bytes([command]) + b"\0".join(argv))
