import Dispatch
import Foundation
import Learner
import NIOConcurrencyHelpers
import PPOCore
import Testing
import Training
import TransportSecurity

/// ppo-learner and ppo-worker as real processes over mutual TLS on loopback.
@Suite("Distributed training (real processes)", .serialized)
struct DistributedTrainingTests {
    /// Until the last 20 training episodes all return 500 (`--stop-at-return 500`), which is what this test checks
    /// the learning by. How each rollout is split between the workers depends on timing, and a deterministic
    /// evaluation is not a stable check here: after the preset's last update it was below 475 on 6 of 101 runs
    /// measured, and even stopped at the target the greedy policy once evaluated 149.5 while the sampling one
    /// had just returned 500 twenty times (Benchmarks/README.md).
    @Test("a learner and 3 workers train CartPole-v1 until the last 20 episodes return 500; a worker killed with SIGKILL mid-run does not stop it", .timeLimit(.minutes(10)))
    func threeWorkersAndAKill() async throws {
        let dir = temporaryDirectory("train")
        defer { try? FileManager.default.removeItem(at: dir) }
        let certs = dir.appendingPathComponent("certs")
        _ = try CertificateBundle.create(in: certs, learnerHosts: ["127.0.0.1"], workers: 3)
        let started = try await StartedLearner.start([
            "--env", "CartPole-v1", "--host", "127.0.0.1", "--tls-dir", certs.path,
            "--checkpoint-dir", dir.appendingPathComponent("run").path, "--seed", "3", "--stop-at-return", "500",
            // Twice the preset's 100k steps: with three workers how each rollout is split depends on timing, and a
            // CI run on a loaded machine once ended the preset's 390 updates with 17 of the last 20 episodes at 500.
            "--steps", "200000"], metrics: true)
        let learner = started.process, port = started.port
        defer { learner.kill9() }
        var workers: [Spawned] = []
        for i in 1...3 {
            workers.append(try Spawned("ppo-worker", [
                "--learner", "127.0.0.1:\(port)", "--tls-dir", certs.path, "--cert-name", "worker-\(i)", "--id", "w\(i)"], name: "w\(i)"))
        }
        defer { workers.forEach { $0.kill9() } }
        // Kill one worker once training is under way (20 episodes of 500 steps take 10,000 steps, 39 updates, at least).
        #expect(await learner.wait(for: 120) { _ in learner.lastUpdate >= 30 }, "no progress: \(learner.stdout.suffix(500)) \(learner.stderr.suffix(500))")
        await workers[1].killed()
        let progressAtKill = learner.lastUpdate
        #expect(await started.waitForStatus(30) { s in s.workers.contains { $0.id == "w2" && $0.state == "gone" } }, "the learner did not see w2 go")
        let status = await learner.waitForExit(timeout: 480)
        #expect(status == 0, "learner: \(learner.stderr.suffix(1500))")
        let m = try learnerSummary(dir.appendingPathComponent("run"))
        #expect(m.reachedTarget == true && progressAtKill < m.updates && m.updates < 781, "updates \(m.updates), killed at \(progressAtKill)")
        #expect(m.transitionsReceived == m.transitionsTrained + m.droppedTotal, "\(m)")
        #expect(m.transitionsTrained == m.updates * 256)
        let checkpoint = try Checkpoint.read(from: dir.appendingPathComponent("run/checkpoint.safetensors"))
        #expect(checkpoint.version == UInt64(m.updates))
        #expect(checkpoint.recentReturns.values == Array(repeating: 500, count: RecentReturns.window), "\(checkpoint.recentReturns.values)")
        for (i, w) in workers.enumerated() where i != 1 {
            #expect(await w.waitForExit(timeout: 30) == 0, "worker \(i + 1) should exit when training is finished: \(w.stderr.suffix(300))")
        }
    }

    @Test("SIGKILL the learner, restart it with --resume: the version continues and the workers come back by themselves", .timeLimit(.minutes(10)))
    func learnerCrashAndResume() async throws {
        let dir = temporaryDirectory("resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        let certs = dir.appendingPathComponent("certs")
        _ = try CertificateBundle.create(in: certs, learnerHosts: ["127.0.0.1"], workers: 2)
        let args = ["--env", "CartPole-v1", "--steps", "40000", "--host", "127.0.0.1", "--tls-dir", certs.path,
                    "--checkpoint-dir", dir.appendingPathComponent("run").path, "--checkpoint-every", "5"]
        let started = try await StartedLearner.start(args, name: "learner-1")
        let first = started.process, port = started.port
        defer { first.kill9() }
        let workers = try (1...2).map { i in
            try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(port)", "--tls-dir", certs.path, "--cert-name", "worker-\(i)", "--id", "w\(i)"], name: "w\(i)")
        }
        defer { workers.forEach { $0.kill9() } }
        #expect(await first.wait(for: 120) { _ in first.lastUpdate >= 40 })
        await first.killed()
        let reached = first.lastUpdate
        let saved = try Checkpoint.read(from: dir.appendingPathComponent("run/checkpoint.safetensors"))
        #expect(saved.version >= 40 && saved.version <= UInt64(reached) && saved.version % 5 == 0, "checkpoint at \(saved.version), reached \(reached)")
        // The restarted learner takes the port its workers know (the one the first was given). The workers kept
        // retrying while it was down: both come back by themselves (backoff is capped at 10 s).
        let restarted = try await StartedLearner.start(args + ["--resume"], metrics: true, port: port, name: "learner-2")
        let second = restarted.process
        defer { second.kill9() }
        #expect(await restarted.waitForStatus(60) { Set($0.connectedWorkers) == ["w1", "w2"] }, "\(second.stderr.suffix(800))")
        #expect(await second.waitForExit(timeout: 400) == 0, "\(second.stderr.suffix(800))")
        let resumedAt = second.progress("update").first?["update"] as? Int
        #expect(resumedAt == Int(saved.version) + 1, "the first update after --resume: \(String(describing: resumedAt)), the checkpoint: \(saved.version)")
        #expect(try learnerSummary(dir.appendingPathComponent("run")).updates == 156)
        for w in workers { #expect(await w.waitForExit(timeout: 30) == 0) }
    }

    @Test("workers without a valid certificate are turned away with one clear error and exit status 1; the learner carries on", .timeLimit(.minutes(3)))
    func refusedCertificate() async throws {
        let dir = temporaryDirectory("auth")
        defer { try? FileManager.default.removeItem(at: dir) }
        let certs = dir.appendingPathComponent("certs")
        let other = dir.appendingPathComponent("other")
        _ = try CertificateBundle.create(in: certs, learnerHosts: ["127.0.0.1"], workers: 1)
        _ = try CertificateBundle.create(in: other, learnerHosts: ["127.0.0.1"], workers: 1)
        // The impostor has the run's CA (so it trusts the learner) but its own certificate is from another CA.
        let impostor = dir.appendingPathComponent("impostor")
        try FileManager.default.createDirectory(at: impostor, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: certs.appendingPathComponent("ca.pem"), to: impostor.appendingPathComponent("ca.pem"))
        for f in ["worker-1.pem", "worker-1-key.pem"] {
            try FileManager.default.copyItem(at: other.appendingPathComponent(f), to: impostor.appendingPathComponent(f))
        }
        let started = try await StartedLearner.start(["--env", "CartPole-v1", "--host", "127.0.0.1", "--tls-dir", certs.path,
                                                      "--checkpoint-dir", dir.appendingPathComponent("run").path])
        let learner = started.process, port = started.port
        defer { learner.kill9() }
        // The worker checks its own files first: a certificate that its ca.pem did not issue never leaves the host.
        let worker = try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(port)", "--tls-dir", impostor.path, "--cert-name", "worker-1"], name: "impostor")
        #expect(await worker.waitForExit(timeout: 60) == 1)
        let errors = worker.stderr.split(separator: "\n").filter { $0.lowercased().hasPrefix("error:") }
        #expect(errors.count == 1 && errors.first?.contains("was not issued by the CA") == true, "\(worker.stderr)")

        // A worker that speaks plaintext to the TLS learner is told so and stops at once (no retry can fix it).
        let plain = try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(port)", "--plaintext", "--max-attempts", "2"], name: "plain")
        #expect(await plain.waitForExit(timeout: 60) == 1)
        let plainErrors = plain.stderr.split(separator: "\n").filter { $0.lowercased().hasPrefix("error:") }
        #expect(plainErrors.count == 1 && plainErrors.first?.contains("speaks TLS and this worker was started with --plaintext") == true, "\(plain.stderr)")
        #expect(await learner.wait(for: 10) { _ in learner.stderr.contains("connection failed before Hello") }, "\(learner.stderr)")
        #expect(learner.isRunning)
    }
}

@Suite("Learner shutdown (real processes)", .serialized)
struct LearnerShutdownTests {
    @Test("SIGTERM: the learner finishes its update, checkpoints the version it reached and exits 0; workers stay to reconnect",
          .timeLimit(.minutes(5)))
    func gracefulStop() async throws {
        let dir = temporaryDirectory("sigterm")
        defer { try? FileManager.default.removeItem(at: dir) }
        let started = try await StartedLearner.start([
            "--env", "CartPole-v1", "--plaintext", "--host", "127.0.0.1",
            "--checkpoint-dir", dir.appendingPathComponent("run").path, "--checkpoint-every", "1000"])
        let learner = started.process, port = started.port
        defer { learner.kill9() }
        let worker = try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(port)", "--plaintext", "--id", "w1", "--max-attempts", "3"], name: "w1")
        defer { worker.kill9() }
        #expect(await learner.wait(for: 120) { _ in learner.lastUpdate >= 20 })
        kill(learner.process.processIdentifier, SIGTERM)
        #expect(await learner.waitForExit(timeout: 30) == 0, "\(learner.stderr.suffix(600))")
        let reached = learner.lastUpdate
        let checkpoint = try Training.Checkpoint.read(from: dir.appendingPathComponent("run/checkpoint.safetensors"))
        #expect(checkpoint.version == UInt64(reached), "checkpoint \(checkpoint.version), last update \(reached)")
        // The worker was told the learner is shutting down: it tries to reconnect rather than exiting 0, and gives
        // up after its --max-attempts.
        #expect(await worker.waitForExit(timeout: 60) == 1, "\(worker.stderr.suffix(400))")
        #expect(worker.stderr.contains("cannot reach the learner") && worker.stderr.contains("(3 attempts)"), "\(worker.stderr.suffix(400))")
    }
}

/// Opens TCP connections to a port in a loop on a thread of its own, holding the last few open, until stopped.
final class ConnectionStorm: @unchecked Sendable {
    private let stopped = NIOLockedValueBox(false)
    private let finished = DispatchSemaphore(value: 0)
    /// Connections made (read it after `stop`).
    private(set) var connections = 0
    private let made = NIOLockedValueBox(0)
    /// Connections made so far (while it runs).
    var connectionsMade: Int { made.withLockedValue { $0 } }

    init(port: Int) {
        let thread = Thread { [self] in
            var open: [Int32] = []
            while !stopped.withLockedValue({ $0 }) {
                guard let fd = connectLoopback(port: port) else { continue }
                connections += 1
                made.withLockedValue { $0 += 1 }
                open.append(fd)
                if open.count > 16 { close(open.removeFirst()) }
            }
            open.forEach { close($0) }
            finished.signal()
        }
        thread.start()
    }

    func stop() {
        stopped.withLockedValue { $0 = true }
        finished.wait()
    }
}

@Suite("Learner shutdown under a connection storm (real processes)", .serialized)
struct ShutdownStormTests {
    @Test("SIGTERM while connections keep arriving: the learner exits 0 every time; a connection accepted as the listener closes is dropped, not a crash",
          .timeLimit(.minutes(5)))
    func stopWhileConnecting() async throws {
        for round in 1...5 {
            let dir = temporaryDirectory("storm-\(round)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let started = try await StartedLearner.start([
                "--env", "CartPole-v1", "--plaintext", "--host", "127.0.0.1", "--checkpoint-dir", dir.appendingPathComponent("run").path])
            let learner = started.process
            defer { learner.kill9() }
            let storms = (0..<2).map { _ in ConnectionStorm(port: started.port) }
            // The storm is under way, then the learner is stopped; the storm goes on until it has exited.
            let deadline = Date().addingTimeInterval(10)
            while storms.allSatisfy({ $0.connectionsMade < 20 }) && Date() < deadline { await pause(0.01) }
            kill(learner.process.processIdentifier, SIGTERM)
            let status = await learner.waitForExit(timeout: 30)
            storms.forEach { $0.stop() }
            #expect(storms.contains { $0.connections > 0 }, "no connection was made")
            #expect(status == 0, "round \(round): exit \(status.map(String.init) ?? "none"): \(learner.stderr.suffix(1500))")
        }
    }
}

@Suite("ppo train interrupted (real processes)", .serialized)
struct TrainInterruptTests {
    @Test("ppo train, in one process and with 2 worker processes: SIGINT ends it after the update in progress with a checkpoint of that update and exit 0; --resume continues from it",
          .timeLimit(.minutes(5)), arguments: [0, 2])
    func interruptAndResume(workers: Int) async throws {
        let dir = temporaryDirectory("interrupt-\(workers)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run")
        let common = ["train", "--env", "CartPole-v1", "--workers", "\(workers)", "--out", out.path, "--eval-episodes", "0"]
        let first = try Spawned("ppo", common + ["--steps", "100000000"], name: "train-1", progress: true)
        defer { first.kill9() }
        try #require(await first.wait(for: 120) { _ in first.lastUpdate >= 5 }, "\(first.stderr.suffix(600))")
        let workerPIDs = try Self.children(named: "ppo-worker", of: first.process.processIdentifier)
        #expect(workerPIDs.count == workers)
        if workers > 0 {
            // The status page's address is printed at the start, and it answers there.
            #expect(first.stdout.contains("status page: http://127.0.0.1:"), "\(first.stdout.prefix(600))")
            let statusPort = try #require(first.progress("listening").last?["metrics_port"] as? Int, "\(first.progressEvents)")
            let status = try await httpGet(port: statusPort, path: "/status.json")
            #expect(status.status == 200 && status.body.contains("\"workers_connected\":\(workers)"), "\(status.body.prefix(300))")
        }
        kill(first.process.processIdentifier, SIGINT)
        #expect(await first.waitForExit(timeout: 60) == 0, "\(first.crashReport.isEmpty ? String(first.stderr.suffix(600)) : first.crashReport)")
        let reached = first.lastUpdate
        let checkpoint = try Checkpoint.read(from: out.appendingPathComponent("checkpoint.safetensors"))
        #expect(checkpoint.version == UInt64(reached), "checkpoint at \(checkpoint.version), last update printed \(reached)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.json").path))
        let survivors = workerPIDs.filter { kill($0, 0) == 0 }
        #expect(survivors.isEmpty, "worker processes outlived the run: \(survivors)")
        survivors.forEach { kill($0, SIGKILL) }

        let second = try Spawned("ppo", common + ["--steps", "\((reached + 3) * 256)", "--resume"], name: "train-2", progress: true)
        defer { second.kill9() }
        #expect(await second.waitForExit(timeout: 120) == 0, "\(second.stderr.suffix(600))")
        let resumedUpdates = second.progress("update").compactMap { $0["update"] as? Int }
        #expect(resumedUpdates.first == reached + 1, "the updates after --resume: \(resumedUpdates)")
        #expect(second.lastUpdate == reached + 3)
    }

    @Test("a second SIGINT while the update in progress finishes quits at once with status 130 and says so", .timeLimit(.minutes(3)))
    func secondSignalQuits() async throws {
        let dir = temporaryDirectory("second-signal")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Updates of 100 epochs take seconds: the second signal lands while the first waits for one.
        let run = try Spawned("ppo", ["train", "--env", "Pendulum-v1", "--workers", "0", "--out", dir.path, "--eval-episodes", "0",
                                      "--set", "update_epochs=100"], name: "train", progress: true)
        defer { run.kill9() }
        // After the first update the second runs, for seconds.
        try #require(await run.wait(for: 120) { _ in run.lastUpdate >= 1 }, "\(run.stderr.suffix(600))")
        kill(run.process.processIdentifier, SIGINT)
        let stderr = { run.stderr }
        try #require(await run.wait(for: 20) { _ in stderr().contains("again to quit at once") }, "\(run.stderr.suffix(600))")
        kill(run.process.processIdentifier, SIGINT)
        #expect(await run.waitForExit(timeout: 20) == 130, "\(run.stderr.suffix(600))")
        #expect(run.stderr.contains("second signal: quitting now, without a checkpoint"))
    }

    /// The processes named `name` whose parent is `parent` (from /proc).
    static func children(named name: String, of parent: Int32) throws -> [Int32] {
        var found: [Int32] = []
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") where Int32(entry) != nil {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let comm = stat[stat.index(after: open)..<close]
            let rest = stat[stat.index(after: close)...].split(separator: " ")
            if comm == name, rest.count > 1, Int32(rest[1]) == parent, let pid = Int32(entry) { found.append(pid) }
        }
        return found
    }
}

@Suite("Worker churn (real processes)", .serialized)
struct WorkerChurnTests {
    @Test("4 workers over mutual TLS, a seeded pick of them killed with SIGKILL and replaced every 30 updates: the run reaches the threshold, every grant and transition is accounted for",
          .timeLimit(.minutes(10)))
    func churn() async throws {
        let dir = temporaryDirectory("churn")
        defer { try? FileManager.default.removeItem(at: dir) }
        let certs = dir.appendingPathComponent("certs")
        _ = try CertificateBundle.create(in: certs, learnerHosts: ["127.0.0.1"], workers: 4)
        let started = try await StartedLearner.start([
            "--env", "CartPole-v1", "--host", "127.0.0.1", "--tls-dir", certs.path,
            "--checkpoint-dir", dir.appendingPathComponent("run").path, "--seed", "5"], metrics: true)
        let learner = started.process, port = started.port
        let metricsPort = try #require(started.metricsPort)
        defer { learner.kill9() }
        func start(_ slot: Int, generation: Int) throws -> Spawned {
            try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(port)", "--tls-dir", certs.path, "--cert-name", "worker-\(slot + 1)",
                                       "--id", "w\(slot + 1)-\(generation)", "--envs", "4"], name: "w\(slot + 1)-\(generation)")
        }
        var workers = try (0..<4).map { try start($0, generation: 0) }
        var retired: [Spawned] = []
        defer { (workers + retired).forEach { $0.kill9() } }
        // Which worker dies is seeded; when is counted in updates (read from /metrics), not seconds.
        var rng = RNG(seed: 5)
        var kills = 0
        var best = -Double.infinity  // the best mean return of 20 episodes the learner reported
        var killed: Set<String> = [], seenGone: Set<String> = []
        while learner.isRunning {
            await pause(0.1)
            if let status = try? await StatusClient.fetch(host: "127.0.0.1", port: metricsPort) {
                seenGone.formUnion(status.workers.filter { $0.state == "gone" }.map(\.id))
            }
            guard let body = try? await httpGet(port: metricsPort, path: "/metrics").body else { continue }
            best = max(best, sample("ppo_episode_return", in: body).flatMap { $0.isNaN ? nil : $0 } ?? best)
            guard let updates = sample("ppo_updates_total", in: body), Int(updates) >= 30 * (kills + 1), updates < 390 else { continue }
            let slot = rng.integer(below: 4)
            await workers[slot].killed()
            retired.append(workers[slot])
            killed.insert(workers[slot].name)
            kills += 1
            workers[slot] = try start(slot, generation: kills)
        }
        #expect(await learner.waitForExit(timeout: 5) == 0, "\(learner.stderr.suffix(1000))")
        #expect(kills >= 10, "only \(kills) workers were killed before the run ended (one every 30 updates)")
        let m = try learnerSummary(dir.appendingPathComponent("run"))
        #expect(m.updates == 390)
        #expect(m.transitionsReceived == m.transitionsTrained + m.droppedTotal && m.transitionsTrained == 390 * 256, "\(m)")
        #expect(m.grantsIssued == m.grantsCompleted + m.grantsReturned + m.grantsOpen && m.grantsIssued > 0, "\(m)")
        #expect(killed.isSubset(of: seenGone), "killed workers the learner's status never showed gone: \(killed.subtracting(seenGone))")
        // Learning under churn: the mean return of 20 episodes reached CartPole's threshold while workers died.
        // (The final policy's quality is not this test's subject: a distributed run is not seeded end to end,
        // and PPO's last updates can move a solved CartPole policy off 500.)
        #expect(best >= 475, "the best mean return of 20 episodes was \(best) with \(kills) kills")
        #expect(try Checkpoint.read(from: dir.appendingPathComponent("run/checkpoint.safetensors")).version == 390)
    }
}
