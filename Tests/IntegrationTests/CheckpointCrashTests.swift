import Foundation
import Testing
import Training

/// Sends SIGKILL to a process the `nth` time a file whose name starts with `prefix` is created in a folder
/// (inotify, read on a thread of its own): a way to kill a learner *inside* a checkpoint write, between the
/// creation of the temporary file and its rename.
final class KillOnCreate: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var firedFlag = false
    private var cancelled = false

    init(directory: URL, prefix: String, nth: Int, pid: Int32) throws {
        fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0, inotify_add_watch(fd, directory.path, UInt32(IN_CREATE)) >= 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: directory.path])
        }
        let thread = Thread { [self] in watch(prefix: prefix, nth: nth, pid: pid) }
        thread.start()
    }

    var fired: Bool { lock.lock(); defer { lock.unlock() }; return firedFlag }

    func cancel() { lock.lock(); cancelled = true; lock.unlock() }

    private func watch(prefix: String, nth: Int, pid: Int32) {
        defer { close(fd) }
        var seen = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            lock.lock()
            let stop = cancelled
            lock.unlock()
            if stop { return }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { continue }
            // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[len]; }
            var offset = 0
            while offset + 16 <= n {
                let len = buffer.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)) }
                let nameBytes = buffer[(offset + 16)..<min(n, offset + 16 + len)].prefix { $0 != 0 }
                offset += 16 + len
                guard String(decoding: nameBytes, as: UTF8.self).hasPrefix(prefix) else { continue }
                seen += 1
                if seen == nth {
                    kill(pid, SIGKILL)
                    lock.lock()
                    firedFlag = true
                    lock.unlock()
                    return
                }
            }
        }
    }
}

@Suite("Learner crash inside a checkpoint write (real processes)", .serialized)
struct CheckpointCrashTests {
    @Test("SIGKILL between creating a checkpoint's temporary file and renaming it: the last complete checkpoint loads, --resume continues from it, the leftover is removed, the worker comes back, the run finishes",
          .timeLimit(.minutes(10)))
    func killDuringWrite() async throws {
        let dir = temporaryDirectory("ckcrash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let checkpointURL = run.appendingPathComponent("checkpoint.safetensors")
        let args = ["--env", "CartPole-v1", "--plaintext", "--host", "127.0.0.1", "--steps", "15360",
                    "--checkpoint-dir", run.path, "--checkpoint-every", "5"]
        // The first learner takes any free port; the restarted ones take the same, which the worker knows.
        var port = 0
        var worker: Spawned?
        defer { worker?.kill9() }

        var complete: UInt64 = 0  // the version of the last checkpoint known to be complete
        var killedInside = 0
        for cycle in 1...2 {
            let started = try await StartedLearner.start(args + (cycle > 1 ? ["--resume"] : []), metrics: true, port: port, name: "learner-\(cycle)")
            let learner = started.process
            port = started.port
            defer { learner.kill9() }
            // Each run writes one complete checkpoint (5 updates on), then is killed inside the second.
            let killer = try KillOnCreate(directory: run, prefix: ".checkpoint.safetensors.tmp-", nth: 2, pid: learner.process.processIdentifier)
            defer { killer.cancel() }
            if worker == nil {
                worker = try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(port)", "--plaintext", "--id", "w1"], name: "w1")
            }
            if cycle > 1 {
                #expect(await started.waitForStatus(20) { $0.connectedWorkers.contains("w1") }, "the worker did not come back: \(learner.stderr.suffix(600))")
                #expect(await learner.wait(for: 60) { _ in learner.lastUpdate > 0 })
                let resumedAt = learner.progress("update").first?["update"] as? Int
                #expect(resumedAt == Int(complete) + 1, "the first update after --resume: \(String(describing: resumedAt)), the checkpoint: \(complete)")
                // The leftover of the killed write is named in a warning.
                #expect(learner.stderr.contains("a checkpoint write a previous run did not finish"), "\(learner.stderr.prefix(600))")
            }
            _ = await learner.waitForExit(timeout: 240)
            #expect(killer.fired, "cycle \(cycle): the learner was not killed by the watcher: \(learner.stderr.suffix(600))")
            let leftover = run.appendingPathComponent(".checkpoint.safetensors.tmp-\(learner.process.processIdentifier)")
            let inside = FileManager.default.fileExists(atPath: leftover.path)
            if inside { killedInside += 1 }
            // The checkpoint on disk is whole, whatever moment the kill hit.
            let checkpoint = try Checkpoint.read(from: checkpointURL)
            let first = complete + 5
            #expect(checkpoint.version == (inside ? first : first + 5), "cycle \(cycle): checkpoint at \(checkpoint.version), killed inside the write: \(inside)")
            complete = checkpoint.version
        }
        #expect(killedInside >= 1, "no kill landed inside a write (the write outran the watcher every time)")

        let last = try await StartedLearner.start(args + ["--resume"], port: port, name: "learner-last").process
        defer { last.kill9() }
        #expect(await last.waitForExit(timeout: 300) == 0, "\(last.stderr.suffix(800))")
        #expect(try learnerSummary(run).updates == 60)
        #expect(try Checkpoint.read(from: checkpointURL).version == 60)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        let w = try #require(worker)
        #expect(await w.waitForExit(timeout: 30) == 0, "\(w.stderr.suffix(400))")
    }
}
