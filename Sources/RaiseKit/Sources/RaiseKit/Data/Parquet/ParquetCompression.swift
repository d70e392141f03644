// ParquetCompression: the codecs of Parquet pages. Snappy and LZ4 are decoded here in Swift; GZIP by
// zlib and ZSTD by libzstd (Debian: zlib1g-dev, libzstd-dev), through the Decompressor that also reads
// .gz and .zst inputs. Brotli and the deprecated Hadoop-framed LZ4 and LZO are refused by name.

/// A damaged or unsupported part of a Parquet file; the reader adds the file, column and row group.
struct ParquetError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Page decompression by Parquet's codec numbers.
enum ParquetCompression {
    /// The names of the codecs by number (parquet.thrift `CompressionCodec`).
    static let names = ["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"]

    /// `input` decompressed with `codec` to the page's `size` bytes.
    ///
    /// - Throws: `ParquetError` for an unsupported codec, damaged data or a size other than `size`.
    static func decompress(_ input: ArraySlice<UInt8>, codec: Int64, size: Int) throws -> [UInt8] {
        let output: [UInt8]
        switch codec {
        case 0: output = Array(input)
        case 1: output = try Snappy.decompress(input)
        case 2: output = try decompress(input, .gzip, size: size)
        case 6: output = try decompress(input, .zstd, size: size)
        case 7: output = try LZ4Block.decompress(input, size: size)
        default:
            let name = codec >= 0 && codec < names.count ? names[Int(codec)] : "number \(codec)"
            throw ParquetError("compression \(name) is not read; write the file again with snappy, zstd, gzip or lz4 "
                               + "(e.g. pyarrow.parquet.write_table(table, path, compression='zstd'))")
        }
        guard output.count == size else { throw ParquetError("a page decompresses to \(output.count) bytes where its header says \(size)") }
        return output
    }

    /// Appends `count` bytes copied from `offset` bytes back in `output`, a copy that may overlap what it
    /// writes (the back-reference of Snappy and LZ4).
    ///
    /// - Throws: `ParquetError` naming `codec` when the copy reaches before the start or past `size` bytes.
    static func copyBack(_ output: inout [UInt8], offset: Int, count: Int, size: Int, codec: String) throws {
        guard offset > 0, offset <= output.count, count <= size - output.count else {
            throw ParquetError("a \(codec) copy reaches outside the block")
        }
        let from = output.count - offset
        for k in 0..<count { output.append(output[from + k]) }
    }

    /// GZIP or ZSTD data decompressed whole (to at most `size` bytes).
    private static func decompress(_ input: ArraySlice<UInt8>, _ format: Decompressor.Format, size: Int) throws -> [UInt8] {
        do {
            return try Decompressor(format).decompressWhole(input, limit: size)
        } catch {
            throw ParquetError("a \(format.rawValue.uppercased()) page is damaged: \(error)")
        }
    }
}
