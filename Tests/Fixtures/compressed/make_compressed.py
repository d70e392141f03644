"""Writes the compressed fixtures of CompressedInputTests from ../parquet/alpaca_snappy.expected.jsonl (40
Alpaca-style records): a gzip file of two members (as `cat a.gz b.gz` makes) and a Zstandard file of two
frames, each split after record 25, so that a reader must go on past the first member or frame.

Run from this folder: python3 make_compressed.py (the Zstandard file needs pyarrow: pip install pyarrow)
"""
import gzip

import pyarrow as pa

with open("../parquet/alpaca_snappy.expected.jsonl", "rb") as f:
    lines = f.read().splitlines(keepends=True)
first, second = b"".join(lines[:25]), b"".join(lines[25:])
with open("alpaca.jsonl.gz", "wb") as out:
    out.write(gzip.compress(first, mtime=0) + gzip.compress(second, mtime=0))
with open("alpaca.jsonl.zst", "wb") as out:
    out.write(pa.compress(first, codec="zstd", asbytes=True) + pa.compress(second, codec="zstd", asbytes=True))
