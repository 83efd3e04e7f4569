/// The limits a receiver enforces (PROTOCOL.md §6). Checked before anything is allocated.
public struct WireLimits: Sendable, Equatable {
    /// Largest payload accepted as sent (compressed or not).
    public var maxFrameBytes: Int
    /// Largest payload accepted after decompression.
    public var maxDecodedBytes: Int

    public init(maxFrameBytes: Int = 64 << 20, maxDecodedBytes: Int = 64 << 20) {
        self.maxFrameBytes = maxFrameBytes
        self.maxDecodedBytes = maxDecodedBytes
    }

    public static let `default` = WireLimits()
}

/// Protocol constants.
public enum WireProtocol {
    /// `PPOW`
    public static let magic: [UInt8] = [0x50, 0x50, 0x4F, 0x57]
    /// The framing version in every header.
    public static let framingVersion: UInt16 = 1
    /// Protocol versions this implementation speaks (negotiated in Hello/Welcome).
    public static let supportedVersions: ClosedRange<UInt16> = 5...5
    /// Size of the frame header.
    public static let headerSize = 20
    /// Limits on strings.
    public static let maxIDBytes = 64
    /// Environment ids (`gym:my_package.envs:MyEnv-v0`) and their `gymnasium.make` arguments (a JSON object).
    public static let maxEnvIDBytes = 256
    /// Observation size, action dimension and number of discrete actions: one range for Welcome and Batch (a
    /// Batch carries them as u16).
    public static let sizes: ClosedRange<Int> = 1...65535
    public static let maxEnvArgumentBytes = 4096
    /// A `gym:` environment's registrations and wrappers (`EnvironmentSetup`'s text).
    public static let maxEnvSetupBytes = 4096
    public static let maxMessageBytes = 1024
}
