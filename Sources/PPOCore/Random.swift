#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one random number generator of the project: xoshiro256** seeded through SplitMix64.
///
/// Runs are reproducible from a single `UInt64` seed. A generator is *splittable*: `split(_:)` derives an
/// independent child stream from the generator's seed and a stream id (a worker index, an env index), without
/// consuming or depending on draws already made. So env 3 of worker 2 sees the same numbers however many other
/// envs or workers there are and in whatever order they step.
public struct RNG: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The seed this stream was derived from (after mixing in its stream id).
    public let seed: UInt64
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator for `seed`; `stream` selects one of 2^64 independent streams of the same seed.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var mixer = SplitMix64(state: seed)
        let base = mixer.next()
        var streamMixer = SplitMix64(state: base ^ (stream &* 0xD1B5_4A32_D192_ED03))
        self.seed = streamMixer.next()
        var init64 = SplitMix64(state: self.seed)
        s0 = init64.next()
        s1 = init64.next()
        s2 = init64.next()
        s3 = init64.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }  // xoshiro's one forbidden state
    }

    /// An independent child generator; depends only on this generator's seed and `stream`.
    public func split(_ stream: UInt64) -> RNG {
        RNG(seed: seed, stream: stream &+ 1)
    }

    /// The raw state, for checkpoints.
    public var state: [UInt64] { [seed, s0, s1, s2, s3] }

    /// Restores a generator from `state` (as written by `state`); nil if the array has the wrong size or is all zero.
    public init?(state: [UInt64]) {
        guard state.count == 5, state[1] | state[2] | state[3] | state[4] != 0 else { return nil }
        seed = state[0]
        s0 = state[1]
        s1 = state[2]
        s2 = state[3]
        s3 = state[4]
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func uniformFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in [low, high).
    @inline(__always)
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * uniformDouble()
    }

    /// Uniform integer in 0..<n (unbiased).
    @inline(__always)
    public mutating func integer(below n: Int) -> Int {
        precondition(n > 0, "integer(below:) needs a positive bound")
        return Int(truncatingIfNeeded: next(upperBound: UInt64(n)))
    }

    /// Standard normal sample (Box–Muller, computed in Double).
    public mutating func normal() -> Double {
        // 1 - u keeps the logarithm's argument in (0, 1].
        let u1 = 1.0 - uniformDouble()
        let u2 = uniformDouble()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }

    /// Fisher–Yates shuffle of `0..<n` into `indices` (resized to n).
    public mutating func permutation(_ n: Int, into indices: inout [Int]) {
        indices.removeAll(keepingCapacity: true)
        indices.append(contentsOf: 0..<n)
        var i = n - 1
        while i > 0 {
            let j = integer(below: i + 1)
            indices.swapAt(i, j)
            i -= 1
        }
    }
}

@inline(__always)
private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}

/// SplitMix64: only used to expand seeds into xoshiro state.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
