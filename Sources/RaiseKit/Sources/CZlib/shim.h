// zlib's inflate, for the GZIP pages of Parquet files.
#include <zlib.h>
