import PPOCore

/// The random streams of one collector: the seeds of its environments and its action-sampling generator.
///
/// Derived from the run seed, the collector's name and how many times it has (re)started, so each worker of a
/// run has its own streams, a reconnecting worker does not replay the episodes it already played, and a
/// single-process run is exactly a worker named `local` in its first session — which is why one worker with
/// the rollout as one grant reproduces single-process training bit for bit.
public struct CollectorStreams: Sendable {
    public var environmentSeed: UInt64
    public var actions: RNG

    /// The name single-process training collects under.
    public static let localName = "local"

    public init(runSeed: UInt64, collector name: String, session: UInt64) {
        // FNV-1a of the name: stable across processes and platforms (unlike `hashValue`).
        let nameHash = name.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        let root = RNG(seed: runSeed).split(nameHash).split(session)
        environmentSeed = root.split(0).seed
        actions = root.split(1)
    }
}
