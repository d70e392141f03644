// Zstandard's one-shot decompression, for the ZSTD pages of Parquet files.
#include <zstd.h>
