import Foundation
import Logging

/// How the command lines write for people and for scripts.
public enum ConsoleOutput {
    /// Log lines at `level` and above (info; warning for `--quiet`) go to standard error (standard output stays
    /// for progress and results).
    public static func bootstrapLogging(level: Logger.Level = .info) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// `value` as pretty-printed JSON with sorted keys, the form every `--json` flag prints.
    public static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Where a command's lines for people go: standard output, or standard error when standard output carries
    /// `--progress-json -`.
    public static func lineWriter(toStandardError: Bool) -> @Sendable (String) -> Void {
        let handle = toStandardError ? FileHandle.standardError : FileHandle.standardOutput
        return { handle.write(Data(($0 + "\n").utf8)) }
    }
}
