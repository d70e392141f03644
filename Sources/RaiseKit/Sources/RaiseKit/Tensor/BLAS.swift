// BLAS: the only file that calls OpenBLAS directly. Every matrix product in RaiseKit goes through
// `gemm` below; everything else in the library is plain Swift. Not a general BLAS binding.
// The import is implementation-only so that code compiled against RaiseKit (out-of-tree plugins) needs
// no OpenBLAS headers; no CBLAS type appears in any public declaration or stored property.
@_implementationOnly import CBLAS

/// Matrix products and thread control, backed by OpenBLAS.
public enum BLAS {
    /// OpenBLAS's own description of its build (version, kernel target, threading), for reports.
    public static var configuration: String { String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces) }

    /// C = alpha · op(A) · op(B) + beta · C, row-major, with explicit leading dimensions. Large products
    /// are split into row (or column) blocks of C, one per thread, each a single-threaded cblas_sgemm:
    /// the threads are RaiseKit's own, so no OpenBLAS pool spins against the other parallel kernels.
    ///
    /// - Parameters:
    ///   - c: output (M, N), leading dimension `ldc`.
    ///   - a: op(A) is (M, K); A itself is (M, K) or, when `transposeA`, (K, M); leading dimension `lda`.
    ///   - b: op(B) is (K, N); B itself is (K, N) or, when `transposeB`, (N, K); leading dimension `ldb`.
    ///   - beta: 0 overwrites C, 1 accumulates into it (how backward passes add into gradients).
    @inline(__always)
    public static func gemm(
        _ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
        alpha: Float = 1, beta: Float = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        let lda = lda ?? (transposeA ? m : k)
        let ldb = ldb ?? (transposeB ? k : n)
        let ldc = ldc ?? n
        func call(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ m: Int, _ n: Int) {
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
        }
        guard threads > 1, m * n * k >= 1 << 18 else {
            call(c, a, b, m, n)
            return
        }
        if m >= n {  // blocks of rows of C: rows of op(A)
            Parallel.ranges(m, minimumPerPart: 16) { rows in
                call(c + rows.lowerBound * ldc, a + (transposeA ? rows.lowerBound : rows.lowerBound * lda), b, rows.count, n)
            }
        } else {  // blocks of columns of C: columns of op(B)
            Parallel.ranges(n, minimumPerPart: 16) { columns in
                call(c + columns.lowerBound, a, b + (transposeB ? columns.lowerBound * ldb : columns.lowerBound), m, columns.count)
            }
        }
    }

    /// C = A · B by a direct cblas_sgemm call with no checks, OpenBLAS using `threads` threads of its
    /// own: the peer that `raise bench kernels` measures the runtime's matmul against.
    ///   A (M, K), B (K, N) -> C (M, N)
    public static func directSgemm(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                   m: Int, n: Int, k: Int) {
        openblas_set_num_threads(Int32(threads))
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k),
                    1, a, blasint(k), b, blasint(n), 0, c, blasint(n))
        openblas_set_num_threads(1)
    }

    /// The number of threads RaiseKit's kernels use (OpenBLAS itself always runs single-threaded).
    nonisolated(unsafe) public static var threads: Int = {
        openblas_set_num_threads(1)
        return 1
    }() {
        didSet { threads = max(1, threads) }
    }

    /// Applies `RAISE_THREADS` from the environment (default: every core) and returns the count in force.
    ///
    /// - Throws: `RaiseError.invalidEnvironment` when the variable is set but is not a positive integer.
    @discardableResult
    public static func configureThreadsFromEnvironment() throws -> Int {
        if let text = ProcessEnvironment.value("RAISE_THREADS") {
            guard let count = Int(text), count > 0 else {
                throw RaiseError.invalidEnvironment(
                    variable: "RAISE_THREADS", value: text, expected: "a positive integer")
            }
            threads = count
        } else {
            threads = ProcessEnvironment.coreCount
        }
        return threads
    }
}
