import COpenBLAS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise and BLAS kernels shared by the layers. Shapes are given in comments; all buffers are row-major.
public enum Kernels {
    /// Prepares OpenBLAS once per process: one thread (the matrices are small, and the process needs its other
    /// core for I/O), and a usable kernel. Debian's OpenBLAS 0.3.21 does not recognise recent Intel server CPUs
    /// and falls back to its SSE3 "Prescott" kernels, which made the PPO step 2x slower; when that happens and the
    /// user has not chosen a core with `OPENBLAS_CORETYPE`, the core is picked from the CPU's flags instead.
    /// Returns the OpenBLAS core in use.
    @discardableResult
    public static func configureBLAS() -> String { blasCore }

    /// Runs `body` with OpenBLAS on `threads` threads, then back to one (benchmarks that compare thread counts).
    public static func withBLASThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        configureBLAS()
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(1) }
        return try body()
    }

    /// C (m×n) = A (m×k) · B (k×n), row-major, on OpenBLAS's current threads (benchmarks' reference rate).
    public static func sgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, c, Int32(n))
    }

    private static let blasCore: String = {
        openblas_set_num_threads(1)
        let detected = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        #if os(Linux) && arch(x86_64)
        if getenv("OPENBLAS_CORETYPE") == nil, detected.lowercased() == "prescott", let core = coreFromCPUFlags() {
            setenv("OPENBLAS_CORETYPE", core, 1)
            gotoblas_dynamic_quit()
            gotoblas_dynamic_init()
            openblas_set_num_threads(1)
            return openblas_get_corename().map { String(cString: $0) } ?? core
        }
        #endif
        return detected
    }()

    /// The best OpenBLAS core this CPU's flags allow (AVX-512 → SkylakeX, AVX2+FMA → Haswell), from /proc/cpuinfo.
    static func coreFromCPUFlags() -> String? {
        guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            guard let line else { break }
            let text = String(cString: line)
            guard text.hasPrefix("flags") else { continue }
            let flags = Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
            if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) { return "SkylakeX" }
            if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
            return nil
        }
        return nil
    }

    /// y (B, N) = x (B, K) · Wᵀ + b, with W (N, K) and b (N). `B == 1` uses sgemv (sgemm with one row is slow).
    @inline(__always)
    public static func linearForward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, batch: Int, inFeatures: Int, outFeatures: Int
    ) {
        for row in 0..<batch {
            (y + row * outFeatures).update(from: bias, count: outFeatures)
        }
        if batch == 1 {
            cblas_sgemv(
                CblasRowMajor, CblasNoTrans, Int32(outFeatures), Int32(inFeatures),
                1, weight, Int32(inFeatures), x, 1, 1, y, 1)
        } else {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(batch), Int32(outFeatures), Int32(inFeatures),
                1, x, Int32(inFeatures), weight, Int32(inFeatures), 1, y, Int32(outFeatures))
        }
    }

    /// Backward of `linearForward`: dW (N, K) += dyᵀ · x, db (N) += Σ_rows dy, and dx (B, K) = dy · W if wanted.
    @inline(__always)
    public static func linearBackward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>,
        dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?,
        batch: Int, inFeatures: Int, outFeatures: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outFeatures), Int32(inFeatures), Int32(batch),
            1, dy, Int32(outFeatures), x, Int32(inFeatures), 1, dWeight, Int32(inFeatures))
        for row in 0..<batch {
            let dyRow = dy + row * outFeatures
            for j in 0..<outFeatures { dBias[j] += dyRow[j] }
        }
        if let dx {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(batch), Int32(inFeatures), Int32(outFeatures),
                1, dy, Int32(outFeatures), weight, Int32(inFeatures), 0, dx, Int32(inFeatures))
        }
    }

    /// In-place tanh by a rational approximation (|error| < 1e-6 against `tanh`; tested), branch-free so the
    /// compiler vectorises it. libm's `tanhf` costs ~10 ns an element and would dominate a 64-wide layer.
    /// Coefficients: the odd/even minimax polynomials used by Eigen's `ptanh` for float.
    @inline(__always)
    public static func tanhInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = fastTanh(x[i]) }
    }

    @inline(__always)
    public static func fastTanh(_ input: Float) -> Float {
        let x = min(max(input, -7.905_311_107_635_498), 7.905_311_107_635_498)
        let x2 = x * x
        var p: Float = -2.760_768_477_423_55e-16
        p = p * x2 + 2.000_187_904_824_77e-13
        p = p * x2 - 8.604_671_522_137_35e-11
        p = p * x2 + 5.122_297_090_371_14e-08
        p = p * x2 + 1.485_722_357_179_79e-05
        p = p * x2 + 6.372_619_288_754_36e-04
        p = p * x2 + 4.893_524_558_917_86e-03
        p = p * x
        var q: Float = 1.198_258_394_667_02e-06
        q = q * x2 + 1.185_347_056_866_54e-04
        q = q * x2 + 2.268_434_632_439_00e-03
        q = q * x2 + 4.893_525_185_543_85e-03
        return p / q
    }

    /// dx = dy ⊙ (1 − y²), in place on dy, for y = tanh(x).
    @inline(__always)
    public static func tanhBackwardInPlace(
        dy: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>, count: Int
    ) {
        for i in 0..<count { dy[i] *= 1 - y[i] * y[i] }
    }

    /// In-place ReLU.
    @inline(__always)
    public static func reluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = max(x[i], 0) }
    }

    /// dx = dy ⊙ [y > 0], in place on dy, for y = relu(x).
    @inline(__always)
    public static func reluBackwardInPlace(
        dy: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>, count: Int
    ) {
        for i in 0..<count where !(y[i] > 0) { dy[i] = 0 }
    }

    /// Σ x² accumulated in Double (used for the global gradient norm).
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        // Eight independent accumulators: floating-point reductions are not auto-vectorised.
        var acc = SIMD8<Double>()
        var i = 0
        while i + 8 <= count {
            let v = SIMD8<Double>(
                Double(x[i]), Double(x[i + 1]), Double(x[i + 2]), Double(x[i + 3]),
                Double(x[i + 4]), Double(x[i + 5]), Double(x[i + 6]), Double(x[i + 7]))
            acc += v * v
            i += 8
        }
        var total = acc.sum()
        while i < count {
            total += Double(x[i]) * Double(x[i])
            i += 1
        }
        return total
    }
}
