"""Writes the Parquet fixtures of ParquetTests with pyarrow, and beside each the rows as pyarrow reads
them (one JSON object per line), which raise's reader must give field for field.

Run from this folder with pyarrow installed (`pip install pyarrow`): python3 make_parquet.py
Byte arrays that are not text are written as lowercase hexadecimal, maps of string keys as objects, and
integers beyond 2**53 as their digits, as raise reads them.
"""
import json

import pyarrow as pa
import pyarrow.parquet as pq


def jsonable(value):
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.hex()
    if isinstance(value, bool) or value is None or isinstance(value, float) or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    raise TypeError(type(value))


def write(name, table, **options):
    pq.write_table(table, name + ".parquet", **options)
    read = pq.read_table(name + ".parquet")
    maps = {field.name for field in read.schema if pa.types.is_map(field.type)}  # entries come as (key, value) pairs
    with open(name + ".expected.jsonl", "w") as out:
        for row in read.to_pylist():
            row = {k: dict(v) if k in maps and v is not None else v for k, v in row.items()}
            out.write(json.dumps({k: jsonable(v) for k, v in row.items()}, ensure_ascii=False) + "\n")


instructions = [f"Add {i} and {i + 1}." for i in range(40)]
alpaca = pa.table({
    "id": pa.array(range(1000, 1040), pa.int64()),
    "instruction": instructions,
    "input": [None if i % 7 == 0 else ("" if i % 3 == 0 else f"context {i % 4}") for i in range(40)],
    "output": [f"{2 * i + 1}" for i in range(40)],
    "category": ["math"] * 30 + ["open_qa"] * 10,
})
# Dictionary pages, snappy, v1 data pages of a few values each, three row groups.
write("alpaca_snappy", alpaca, compression="snappy", row_group_size=16, data_page_size=64)
# No dictionary, the delta encodings, gzip, v2 data pages.
write("alpaca_delta_gzip", alpaca, compression="gzip", use_dictionary=False, data_page_version="2.0",
      column_encoding={"id": "DELTA_BINARY_PACKED", "instruction": "DELTA_BYTE_ARRAY", "input": "DELTA_LENGTH_BYTE_ARRAY",
                       "output": "DELTA_LENGTH_BYTE_ARRAY", "category": "PLAIN"})
write("alpaca_brotli", alpaca.slice(0, 4), compression="brotli")

turn = pa.struct([("role", pa.string()), ("content", pa.string())])
chats = pa.table({
    "messages": pa.array([
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
        [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}],
        [{"role": "user", "content": "again"}, {"role": "assistant", "content": "ok"}, {"role": "user", "content": "more"},
         {"role": "assistant", "content": "done"}],
    ], pa.list_(turn)),
    "source": ["a", "b", None],
})
# Lists of structs (the three-level layout), zstd, v2 data pages.
write("chat_zstd", chats, compression="zstd", data_page_version="2.0")

shapes = pa.table({
    "text": ["x", None, "ü ☃ 𝄞", ""],
    "tags": pa.array([["a", "b"], [], None, ["c", None]], pa.list_(pa.string())),
    "nested": pa.array([[[1, 2], []], None, [[3]], [None, [4, 5, 6]]], pa.list_(pa.list_(pa.int32()))),
    "point": pa.array([{"x": 1.5, "y": None}, None, {"x": -2.0, "y": 3}, {"x": 0.0, "y": 4}],
                      pa.struct([("x", pa.float64()), ("y", pa.int16())])),
    "meta": pa.array([[("k", "v")], [], None, [("a", "1"), ("b", "2")]], pa.map_(pa.string(), pa.string())),
    "flag": [True, False, None, True],
    "ratio": pa.array([0.25, None, -1.5, 3.0], pa.float32()),
    "big": pa.array([2**60, -(2**53) - 1, 7, None], pa.int64()),
    "blob": pa.array([b"\x00\xff", b"ok", None, b"\x80"], pa.binary()),
})
write("shapes_lz4", shapes, compression="lz4", version="1.0")  # format 1.0: PLAIN_DICTIONARY pages
write("shapes_plain", shapes, compression="none", use_dictionary=False,
      column_encoding={"ratio": "BYTE_STREAM_SPLIT", "big": "DELTA_BINARY_PACKED", "text": "DELTA_BYTE_ARRAY", "flag": "RLE"})
