import Foundation
import Testing

/// Starts the built executables as real processes and reads their output.
final class Spawned: @unchecked Sendable {
    let process = Process()
    let name: String
    private let lock = NSLock()
    private var stdoutText = ""
    private var stderrText = ""

    init(_ executable: String, _ arguments: [String], name: String, environment: [String: String] = [:]) throws {
        self.name = name
        process.executableURL = Spawned.products.appendingPathComponent(executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        out.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard !d.isEmpty else { h.readabilityHandler = nil; return }
            self?.append(String(decoding: d, as: UTF8.self), toStdout: true)
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard !d.isEmpty else { h.readabilityHandler = nil; return }
            self?.append(String(decoding: d, as: UTF8.self), toStdout: false)
        }
        try process.run()
    }

    private func append(_ s: String, toStdout: Bool) {
        lock.lock()
        if toStdout { stdoutText += s } else { stderrText += s }
        lock.unlock()
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return stdoutText }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return stderrText }

    /// The folder the test runner and the executables were built into.
    static var products: URL {
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
            if !process.isRunning { return predicate(stdout) }
            await pause(0.05)
        }
        return predicate(stdout)
    }

    /// Waits for the process to exit; returns its status, or nil on timeout (the process is then killed).
    func waitForExit(timeout: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { await pause(0.05) }
        if process.isRunning {
            kill9()
            return nil
        }
        await pause(0.1)  // let the pipes drain
        return process.terminationStatus
    }

    func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The highest `update N/` seen in the output.
    var lastUpdate: Int {
        var best = 0
        for line in stdout.split(separator: "\n") where line.hasPrefix("update ") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count > 1, let n = Int(fields[1].split(separator: "/")[0]) { best = max(best, n) }
        }
        return best
    }
}

/// Sleeps without holding a thread.
func pause(_ seconds: Double) async {
    try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
}

/// A free TCP port on loopback (bind to 0, read, close).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

func temporaryDirectory(_ name: String) -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-it-\(name)-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}
