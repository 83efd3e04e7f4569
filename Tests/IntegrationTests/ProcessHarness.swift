import Foundation
import Learner
import Testing

/// Starts the built executables as real processes and reads their output.
final class Spawned: @unchecked Sendable {
    let process = Process()
    let name: String
    private let lock = NSLock()
    private var stdoutBytes: [UInt8] = []
    private var stderrBytes: [UInt8] = []
    /// Pipes whose end (EOF) was read: 2 once the process and any child holding them have closed both.
    private var pipesClosed = 0

    /// The `--progress-json` file of a `ppo train` or `ppo-learner` started with `progress: true`: what the tests
    /// read the run's state from (never the console's text).
    let progressFile: URL?

    convenience init(_ executable: String, _ arguments: [String], name: String, environment: [String: String] = [:], in directory: URL? = nil,
                     progress: Bool = false) throws {
        try self.init(url: Spawned.products.appendingPathComponent(executable), arguments, name: name, environment: environment, in: directory,
                      progress: progress)
    }

    /// Any executable, by its path; with `progress`, it writes `--progress-json` to a file of its own.
    init(url: URL, _ arguments: [String], name: String, environment: [String: String] = [:], in directory: URL? = nil,
         progress: Bool = false) throws {
        self.name = name
        progressFile = progress
            ? FileManager.default.temporaryDirectory.appendingPathComponent("ppo-progress-\(name)-\(UUID().uuidString.prefix(8)).jsonl")
            : nil
        process.executableURL = url
        process.arguments = arguments + (progressFile.map { ["--progress-json", $0.path] } ?? [])
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        readToEnd(out.fileHandleForReading, toStdout: true)
        readToEnd(err.fileHandleForReading, toStdout: false)
    }

    /// Reads `handle` on a thread of its own until `read` says end of file. (Not `readabilityHandler`: on Linux it
    /// has been seen to report an empty read before the end, which dropped what the process wrote after it, and its
    /// handlers wait for a Dispatch thread on a loaded machine.)
    private func readToEnd(_ handle: FileHandle, toStdout: Bool) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buffer.withUnsafeMutableBytes { Foundation.read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                if n > 0 {
                    append(buffer[0..<n], toStdout: toStdout)
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    closed()
                    return
                }
            }
        }
        thread.start()
    }

    private func append(_ bytes: ArraySlice<UInt8>, toStdout: Bool) {
        lock.lock()
        if toStdout { stdoutBytes += bytes } else { stderrBytes += bytes }
        lock.unlock()
    }

    private func closed() {
        lock.lock()
        pipesClosed += 1
        lock.unlock()
    }

    /// Whether everything the process wrote has been read (both pipes at their end).
    var drained: Bool { lock.lock(); defer { lock.unlock() }; return pipesClosed >= 2 }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return String(decoding: stdoutBytes, as: UTF8.self) }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return String(decoding: stderrBytes, as: UTF8.self) }

    /// The folder of the executables the tests run: `PPO_TEST_PRODUCTS` when it names one that holds them (CI
    /// points it at the release build, so the trainings these tests start run at full speed), else the folder the
    /// test runner and the executables were built into.
    static var products: URL {
        if let folder = ProcessInfo.processInfo.environment["PPO_TEST_PRODUCTS"], !folder.isEmpty {
            let url = URL(fileURLWithPath: folder)
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("ppo-learner").path) { return url }
        }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: runner.appendingPathComponent("ppo-learner").path) { return runner }
        // xctest bundles on some platforms sit one level deeper.
        return runner.deletingLastPathComponent()
    }

    /// Waits until `predicate(stdout)` holds or the process exits or `timeout` passes; returns whether it held.
    /// (Polls with `Task.sleep`, so a waiting test never holds one of the few threads the other tests run on.)
    @discardableResult
    func wait(for timeout: Double, until predicate: (String) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(stdout) { return true }
            if !isRunning { return predicate(stdout) }
            await pause(0.05)
        }
        return predicate(stdout)
    }

    /// Waits for the process to exit; returns its status, or nil on timeout (the process is then killed).
    func waitForExit(timeout: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { await pause(0.05) }
        if isRunning {
            await killed()
            return nil
        }
        // Everything it wrote is read once both pipes are at their end (a grandchild that inherited them may keep
        // them open: not waited for past a few seconds).
        let drainDeadline = Date().addingTimeInterval(5)
        while !drained && Date() < drainDeadline { await pause(0.02) }
        return status
    }

    /// SIGKILL, without waiting for the exit (what a `defer` does at a test's end: it must not hold the thread it
    /// runs on, one of the few the other tests' tasks run on). `killed()` when the test goes on without it.
    func kill9() {
        if isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// SIGKILL, then up to 10 s for the exit to be seen (polled with `Task.sleep`).
    func killed() async {
        kill9()
        let deadline = Date().addingTimeInterval(10)
        while isRunning && Date() < deadline { await pause(0.02) }
    }

    /// Whether the process still runs. Foundation's `Process` on Linux has been seen here to miss a child's exit
    /// (the child stays a zombie and `isRunning` true for ever, `waitUntilExit` never returns): a child that has
    /// been a zombie for a second is reaped here, and its status kept.
    var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        if reaped != nil { return false }
        guard process.isRunning else { return false }
        let pid = process.processIdentifier
        guard Self.isZombie(pid) else {
            zombieSince = nil
            return true
        }
        let since = zombieSince ?? Date()
        zombieSince = since
        guard Date().timeIntervalSince(since) > 1 else { return true }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return process.isRunning }
        // As Foundation reports it: the exit code, or the signal's number.
        reaped = raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
        return false
    }

    /// The exit status (or signal number) once the process has ended.
    var status: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return reaped ?? process.terminationStatus
    }

    private var reaped: Int32?
    private var zombieSince: Date?

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    /// What the Swift runtime printed if the process crashed: its fatal-error line and the first frames of the
    /// crashed thread (for failure messages; empty otherwise).
    var crashReport: String {
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.contains("Fatal error") || $0.contains("Program crashed") || $0.contains("💣") }) else { return "" }
        return lines[start..<min(lines.count, start + 60)].joined(separator: "\n")
    }

    /// The `--progress-json` objects written so far (a line still being written is left for the next read).
    var progressEvents: [[String: Any]] {
        guard let progressFile, let data = try? Data(contentsOf: progressFile) else { return [] }
        return data.split(separator: 0x0A).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }

    /// The objects of one `event` kind.
    func progress(_ event: String) -> [[String: Any]] { progressEvents.filter { $0["event"] as? String == event } }

    /// The last update made, from the `--progress-json` file (0 before the first).
    var lastUpdate: Int {
        precondition(progressFile != nil, "\(name) was started without progress: true")
        return progress("update").compactMap { $0["update"] as? Int }.max() ?? 0
    }
}

/// Sleeps without holding a thread.
func pause(_ seconds: Double) async {
    try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
}

/// A `ppo-learner` started on port 0 (and, when asked, its metrics endpoint on port 0), with the ports it reports:
/// no test picks a port that another test's learner could take first.
struct StartedLearner {
    let process: Spawned
    let port: Int
    let metricsPort: Int?

    /// Starts `ppo-learner ARGUMENTS --port 0` (plus `--metrics-port 0` with `metrics`) and waits until it listens.
    /// `port` instead of 0 restarts a learner on the port its workers know.
    static func start(_ arguments: [String], metrics: Bool = false, port: Int = 0, name: String = "learner",
                      environment: [String: String] = [:], timeout: Double = 60) async throws -> StartedLearner {
        let ports = ["--port", "\(port)"] + (metrics ? ["--metrics-port", "0"] : [])
        let process = try Spawned("ppo-learner", arguments + ports, name: name, environment: environment, progress: true)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let listening = process.progress("listening").last, let listen = listening["port"] as? Int {
                return StartedLearner(process: process, port: listen, metricsPort: listening["metrics_port"] as? Int)
            }
            guard process.isRunning else { break }
            await pause(0.05)
        }
        await process.killed()
        throw LearnerDidNotStart(description: "\(name) did not report its port: \(process.stdout.suffix(500)) \(process.stderr.suffix(1500))")
    }
}

struct LearnerDidNotStart: Error, CustomStringConvertible {
    let description: String
}

func temporaryDirectory(_ name: String) -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-it-\(name)-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A learner's closing account: `summary.json` in its checkpoint folder.
func learnerSummary(_ folder: URL) throws -> LearnerMetrics {
    try LearnerSummary.read(from: folder).metrics
}

extension StartedLearner {
    /// The learner's `/status.json` now (a learner started with `metrics: true`).
    func status() async throws -> RunStatus {
        guard let metricsPort else { throw LearnerDidNotStart(description: "the learner was started without metrics: true") }
        return try await StatusClient.fetch(host: "127.0.0.1", port: metricsPort)
    }

    /// Waits until the learner's `/status.json` satisfies `predicate`, polling it, for at most `timeout` seconds;
    /// whether it did. What workers do (connected, gone, back) is read here, not from the log.
    func waitForStatus(_ timeout: Double, _ predicate: (RunStatus) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && process.isRunning {
            if let s = try? await status(), predicate(s) { return true }
            await pause(0.1)
        }
        return false
    }
}

extension RunStatus {
    /// The ids of the workers connected now.
    var connectedWorkers: [String] { workers.filter { $0.state == "connected" }.map(\.id) }
}
