#if canImport(Glibc)
import Glibc
#endif
import CBridgeSupport
import Environments
import PPOCore
import Foundation

/// The bridge's Python process and its pipes (Protocol/BRIDGE.md §1, §3): started with `posix_spawn` from the
/// `SpawnerThread` so that exactly three descriptors reach it, in a process group of its own (a Ctrl-C in the
/// terminal goes to the worker, which decides), and reaped by whoever ends it.
final class BridgeProcess: @unchecked Sendable {
    let envID: String
    let pid: pid_t
    /// Write end of the bridge's stdin; read end of its channel out.
    private let toChild: Int32
    private let fromChild: Int32
    private let stderrTail: LineTail
    private var exitDescription: String?

    /// Starts `python -c SOURCE arguments…`.
    init(envID: String, python: String, arguments: [String], environment: [String: String] = [:]) throws(EnvironmentError) {
        self.envID = envID
        signal(SIGPIPE, SIG_IGN)  // a write to a dead bridge must be an error, not the end of this process
        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
        guard ppo_pipe_cloexec(&input) == 0, ppo_pipe_cloexec(&output) == 0, ppo_pipe_cloexec(&errors) == 0 else {
            throw .bridge(.interpreterNotFound(python: python, reason: "cannot create pipes: \(String(cString: strerror(errno)))"))
        }
        let (stdin, stdout, stderr) = (input[0], output[1], errors[1])
        let spawned = SpawnerThread.shared.run {
            Self.spawn(python: python, arguments: ["-c", BridgeScript.source] + arguments, environment: environment,
                       stdin: stdin, stdout: stdout, stderr: stderr)
        }
        close(input[0]); close(output[1]); close(errors[1])
        guard case .success(let pid) = spawned else {
            close(input[1]); close(output[0]); close(errors[0])
            if case .failure(let failure) = spawned {
                let code = failure.code
                throw .bridge(.interpreterNotFound(python: python, reason: code == ENOENT ? "not found (is Python installed, or on PATH?)" : String(cString: strerror(code))))
            }
            throw .bridge(.interpreterNotFound(python: python, reason: "unknown"))
        }
        self.pid = pid
        toChild = input[1]
        fromChild = output[0]
        stderrTail = LineTail(fd: errors[0])
    }

    deinit {
        terminate()
        close(toChild)
        close(fromChild)
    }

    private static func spawn(
        python: String, arguments: [String], environment: [String: String], stdin: Int32, stdout: Int32, stderr: Int32
    ) -> Result<pid_t, SpawnFailure> {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        let argv: [UnsafeMutablePointer<CChar>?] = ([python] + arguments).map { strdup($0) } + [nil]
        var variables = ProcessInfo.processInfo.environment
        for (key, value) in environment { variables[key] = value }
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let code = python.contains("/")
            ? posix_spawn(&pid, python, &actions, &attributes, argv, envp)
            : posix_spawnp(&pid, python, &actions, &attributes, argv, envp)
        return code == 0 ? .success(pid) : .failure(SpawnFailure(code: code))
    }

    // MARK: Control messages (4-byte little-endian length, JSON)

    func sendControl(_ object: [String: Any]) throws(EnvironmentError) {
        guard let body = try? JSONSerialization.data(withJSONObject: object) else {
            throw .bridge(.protocolViolation(envID: envID, detail: "cannot encode a control message"))
        }
        var length = UInt32(body.count).littleEndian
        var bytes = withUnsafeBytes(of: &length) { Array($0) }
        bytes += body
        try writeAll(bytes, during: "a control message")
    }

    func readControl(timeout: Duration, during: String) throws(EnvironmentError) -> [String: Any] {
        let deadline = DispatchTime.now().uptimeNanoseconds + timeout.wholeNanosecondsUnsigned
        let header = try readExactly(4, deadline: deadline, timeout: timeout, during: during)
        let length = Int(header.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian)
        guard length <= 1 << 20 else {
            throw .bridge(.protocolViolation(envID: envID, detail: "a control message of \(length) bytes (the limit is 1 MiB)"))
        }
        let body = try readExactly(length, deadline: deadline, timeout: timeout, during: during)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw .bridge(.protocolViolation(envID: envID, detail: "a control message that is not a JSON object"))
        }
        return object
    }

    // MARK: Wake-up bytes

    func wake() throws(EnvironmentError) {
        try writeAll([1], during: "a request")
    }

    /// Sleeps on the pipe until a wake-up byte comes or `until` (uptime nanoseconds) passes, and drains what came
    /// (a byte carries no meaning beyond "look again": BRIDGE.md §3). End-of-file means the bridge died.
    func sleep(until: UInt64) throws(EnvironmentError) {
        let now = DispatchTime.now().uptimeNanoseconds
        guard until > now else { return }
        var pfd = pollfd(fd: fromChild, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32((until - now) / 1_000_000 + 1)) > 0 else { return }
        var bytes = [UInt8](repeating: 0, count: 64)
        let n = bytes.withUnsafeMutableBytes { read(fromChild, $0.baseAddress, 64) }
        if n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) { throw failExited() }
    }

    private func readExactly(_ count: Int, deadline: UInt64, timeout: Duration, during: String) throws(EnvironmentError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { throw failTimedOut(timeout, during) }
            var pfd = pollfd(fd: fromChild, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min((deadline - now) / 1_000_000 + 1, 60_000)))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            let n = bytes.withUnsafeMutableBytes { read(fromChild, $0.baseAddress! + filled, count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failExited() }
            filled += n
        }
        return bytes
    }

    private func writeAll(_ bytes: [UInt8], during: String) throws(EnvironmentError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { write(toChild, $0.baseAddress! + sent, bytes.count - sent) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failExited() }
            sent += n
        }
    }

    // MARK: The end

    /// The bridge stopped answering: kill it and say so.
    func failTimedOut(_ timeout: Duration, _ during: String) -> EnvironmentError {
        terminate()
        return .bridge(.timedOut(envID: envID, seconds: timeout.secondsValue, during: during))
    }

    /// The bridge closed its end: reap it and say how it ended.
    func failExited() -> EnvironmentError {
        let status = reap(waiting: 2)
        return .bridge(.exited(envID: envID, status: status, lastLine: stderrTail.lastLine(settling: 0.2)))
    }

    /// The last line the bridge wrote to stderr.
    var lastErrorLine: String { stderrTail.lastLine(settling: 0.05) }

    /// Kills the bridge (if it still runs) and reaps it.
    func terminate() {
        guard exitDescription == nil else { return }
        kill(pid, SIGKILL)
        _ = reap(waiting: 5)
    }

    /// Waits up to `seconds` for the process to end and describes how it ended.
    @discardableResult
    func reap(waiting seconds: Double) -> String {
        if let exitDescription { return exitDescription }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 { exitDescription = "ended"; return "ended" }
            if Date() > deadline { return "stopped answering" }
            usleep(2000)
        }
        let description: String
        if status & 0x7f == 0 {
            description = "exited with status \((status >> 8) & 0xff)"
        } else {
            description = "was killed by signal \(status & 0x7f)"
        }
        exitDescription = description
        return description
    }
}

/// Reads a descriptor to its end on a thread of its own and keeps its last lines (the bridge's stderr: tracebacks,
/// whatever an environment prints).
final class LineTail: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial: [UInt8] = []
    private var ended = false

    init(fd: Int32) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                append(buffer[0..<n])
            }
            close(fd)
            lock.withLock { ended = true }
        }
        thread.name = "gym-bridge-stderr"
        thread.start()
    }

    private func append(_ bytes: ArraySlice<UInt8>) {
        lock.withLock {
            for byte in bytes {
                if byte == UInt8(ascii: "\n") {
                    let line = String(decoding: partial, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                    if !line.isEmpty { lines.append(line) }
                    if lines.count > 50 { lines.removeFirst(lines.count - 50) }
                    partial.removeAll(keepingCapacity: true)
                } else if partial.count < 4096 {
                    partial.append(byte)
                }
            }
        }
    }

    /// The last non-empty line, after waiting up to `settling` seconds for the writer to finish.
    func lastLine(settling: Double) -> String {
        let deadline = Date().addingTimeInterval(settling)
        while Date() < deadline, !lock.withLock({ ended }) { usleep(5000) }
        return lock.withLock {
            let tail = String(decoding: partial, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            return tail.isEmpty ? (lines.last ?? "") : tail
        }
    }
}

/// `posix_spawn`'s error number.
struct SpawnFailure: Error {
    let code: Int32
}
