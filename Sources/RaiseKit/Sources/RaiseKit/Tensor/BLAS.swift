// BLAS: the only file that calls OpenBLAS directly. Every matrix product in RaiseKit goes through
// `gemm` below; everything else in the library is plain Swift. Not a general BLAS binding.
// The import is implementation-only so that code compiled against RaiseKit (out-of-tree plugins) needs
// no OpenBLAS headers; no CBLAS type appears in any public declaration or stored property. (The compiler
// warns that `@_implementationOnly` is deprecated; its successor, `internal import`, still makes every
// client of a module built without library evolution load CBLAS: the out-of-tree sample then fails with
// "missing required modules: 'CAllocator', 'CBLAS'".)
@_implementationOnly import CBLAS

/// Matrix products and thread control, backed by OpenBLAS.
public enum BLAS {
    /// OpenBLAS's own description of its build (version, kernel target, threading), for reports.
    public static var configuration: String { String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces) }

    /// The kernel set OpenBLAS runs (its "core", e.g. Haswell, SkylakeX), chosen when the library loaded.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// C = alpha · op(A) · op(B) + beta · C, row-major, with explicit leading dimensions. Large products
    /// are cut into `productParts` row (or column) blocks of C, each a single-threaded cblas_sgemm, and the
    /// blocks are spread over the threads: the threads are RaiseKit's own, so no OpenBLAS pool spins
    /// against the other parallel kernels. The cut depends on the shape and the machine, never on the
    /// thread count, so every thread count computes the same blocks and gets the same bits (OpenBLAS
    /// rounds a block differently from the whole product: other kernels for other sizes).
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
        let splitRows = m >= n  // blocks of rows of C (rows of op(A)), else of columns (columns of op(B))
        let length = splitRows ? m : n
        let parts = m * n * k >= 1 << 18 ? min(productParts, length / 16) : 1
        guard parts > 1 else {
            call(c, a, b, m, n)
            return
        }
        Parallel.parts(parts) { part in
            let block = length * part / parts..<length * (part + 1) / parts
            if splitRows {
                call(c + block.lowerBound * ldc, a + (transposeA ? block.lowerBound : block.lowerBound * lda), b, block.count, n)
            } else {
                call(c + block.lowerBound, a, b + (transposeB ? block.lowerBound * ldb : block.lowerBound), m, block.count)
            }
        }
    }

    /// How many blocks `gemm` cuts a large product into: the machine's core count (or the thread count,
    /// when more threads than cores were asked for).
    static var productParts: Int { max(machineCores, threads) }
    private static let machineCores = ProcessEnvironment.coreCount

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
