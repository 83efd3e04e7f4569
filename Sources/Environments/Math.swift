#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The envs use libm's double-precision functions directly (no Foundation), as numpy does for scalars.

@inline(__always) func cosine(_ x: Double) -> Double { cos(x) }
@inline(__always) func sine(_ x: Double) -> Double { sin(x) }

/// numpy's `np.remainder` / Python's `%` for doubles (floor modulo: the result has the sign of `divisor`),
/// computed as numpy's `npy_divmod` does: `fmod`, then one correction when the signs differ.
@inline(__always)
func floorModulo(_ dividend: Double, _ divisor: Double) -> Double {
    var remainder = fmod(dividend, divisor)
    if remainder != 0 {
        if (divisor < 0) != (remainder < 0) { remainder += divisor }
    } else {
        remainder = copysign(0, divisor)
    }
    return remainder
}

/// Rounds a double to float32 and back, as numpy's `astype(np.float32)` followed by float64 arithmetic.
@inline(__always)
func roundedToFloat(_ x: Double) -> Double { Double(Float(x)) }
