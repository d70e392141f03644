"""Generates quants.gguf: one tensor for each ggml block type raise reads beyond F32 (F16, BF16, Q8_0, Q4_0,
Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS), each of two rows of 256 elements filled with
random block bytes; and quants_reference.json: what the `gguf` package's `quants.dequantize` makes of each tensor.

Every byte of a block is drawn at random except its Float16 scales and minimums, which are drawn from a
moderate range so that no value is infinite or NaN: the test then covers every bit of every quantized field.
Run once from the repository root with the bench virtual environment (`make venv-bench`):

    .venv-bench/bin/python Tests/Fixtures/gguf/make_quant_reference.py
"""
import json
import pathlib

import gguf
import numpy as np

here = pathlib.Path(__file__).parent
Q = gguf.GGMLQuantizationType
# Byte offsets of each block's Float16 fields (ggml-common.h's block structs).
half_offsets = {
    Q.Q8_0: [0], Q.Q4_0: [0], Q.Q4_1: [0, 2], Q.Q5_0: [0], Q.Q5_1: [0, 2],
    Q.Q2_K: [80, 82], Q.Q3_K: [108], Q.Q4_K: [0, 2], Q.Q5_K: [0, 2], Q.Q6_K: [208], Q.IQ4_NL: [0], Q.IQ4_XS: [0],
}
rows, columns = 2, 256
rng = np.random.default_rng(0)
writer = gguf.GGUFWriter(str(here / "quants.gguf"), "raise-quant-reference")
reference = {}
for qtype in [Q.F16, Q.BF16, *half_offsets]:
    block_size, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rows * columns // block_size
    if qtype == Q.F16:
        data = rng.normal(0, 2, rows * columns).astype(np.float16).view(np.uint8)
    elif qtype == Q.BF16:
        data = (rng.normal(0, 2, rows * columns).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
    else:
        data = rng.integers(0, 256, (blocks, block_bytes), dtype=np.uint8)
        for offset in half_offsets[qtype]:
            halves = (rng.uniform(0.001, 0.1, blocks) * rng.choice([-1, 1], blocks)).astype(np.float16)
            data[:, offset:offset + 2] = halves.view(np.uint8).reshape(blocks, 2)
    data = np.ascontiguousarray(data).reshape(rows, -1)
    values = gguf.quants.dequantize(data, qtype).reshape(-1)
    assert np.isfinite(values).all()
    writer.add_tensor(qtype.name, data, raw_dtype=qtype)
    reference[qtype.name] = [float(v) for v in values.astype(np.float32)]
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()
(here / "quants_reference.json").write_text(json.dumps(reference) + "\n")
