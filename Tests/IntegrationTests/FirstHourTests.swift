import Foundation
import Learner
import Testing
import Training
import Wire

/// What a new user meets in the first hour, with the real executables: the commands the program prints run as
/// printed, and a run folder that holds a checkpoint is never overwritten or resumed without being told.
@Suite("A user's first hour (real processes)", .serialized)
struct FirstHourTests {
    /// The command after `label` on a line of `text`, split into words (a note after three spaces is not part of it).
    static func command(after label: String, in text: String) -> [String]? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains(label) }),
              let range = line.range(of: label) else { return nil }
        let command = line[range.upperBound...].components(separatedBy: "   (").first ?? ""
        return command.split(separator: " ").map(String.init)
    }

    @Test("the learner and worker commands `ppo certs` and `ppo certs --add-worker` print run as printed: the learner listens and both workers connect and train",
          .timeLimit(.minutes(5)))
    func certsNextStepsRun() async throws {
        let dir = temporaryDirectory("certs-steps")
        defer { try? FileManager.default.removeItem(at: dir) }
        let certs = try Spawned("ppo", ["certs", "--out", "tls", "--learner-host", "localhost", "--learner-host", "127.0.0.1", "--workers", "2"], name: "certs", in: dir)
        #expect(await certs.waitForExit(timeout: 60) == 0, "\(certs.stderr)")
        let learnerLine = try #require(Self.command(after: "Start the learner:", in: certs.stdout), "\(certs.stdout)")
        let workerLine = try #require(Self.command(after: "Start a worker:", in: certs.stdout), "\(certs.stdout)")
        let addLine = try #require(Self.command(after: "More workers later:", in: certs.stdout), "\(certs.stdout)")
        #expect(learnerLine.first == "ppo-learner" && workerLine.first == "ppo-worker" && addLine.first == "ppo")
        let add = try Spawned(addLine[0], Array(addLine.dropFirst()), name: "add-worker", in: dir)
        #expect(await add.waitForExit(timeout: 60) == 0, "\(add.stderr)")
        let addedLine = try #require(Self.command(after: "Start it with:", in: add.stdout), "\(add.stdout)")

        // As printed, plus a status endpoint for this test to read the workers from.
        let learner = try Spawned(learnerLine[0], Array(learnerLine.dropFirst()) + ["--metrics-port", "0", "--metrics-host", "127.0.0.1"],
                                  name: "learner", in: dir, progress: true)
        defer { learner.kill9() }
        #expect(await learner.wait(for: 120) { _ in !learner.progress("listening").isEmpty }, "the learner as printed: \(learner.stderr.suffix(600))")
        let metricsPort = try #require(learner.progress("listening").first?["metrics_port"] as? Int)
        var workers: [Spawned] = []
        for (i, line) in [workerLine, addedLine].enumerated() {
            workers.append(try Spawned(line[0], Array(line.dropFirst()), name: "worker-\(i)", in: dir))
        }
        defer { workers.forEach { $0.kill9() } }
        let bothTrain = await learner.wait(for: 180) { _ in learner.progress("update").contains { $0["workers"] as? Int == 2 } }
        #expect(bothTrain, "the workers as printed: \(workers.map { $0.stderr.suffix(400) })")
        // A worker with a certificate is named after it (and its host: replicas may share one).
        let ids = try await StatusClient.fetch(host: "127.0.0.1", port: metricsPort).workers.map(\.id)
        #expect(ids.contains { $0.hasPrefix("worker-1.") } && ids.contains { $0.hasPrefix("worker-3.") }, "\(ids)")
    }

    /// `ppo train` on CartPole-v1 in this process, two short updates, no evaluation, into `out`, plus `extra`.
    static func train(_ out: URL, _ extra: [String] = []) async throws -> (status: Int32?, stderr: String) {
        let args = ["train", "--env", "CartPole-v1", "--workers", "0", "--steps", "512", "--set", "update_epochs=1",
                    "--eval-episodes", "0", "--quiet", "--out", out.path] + extra
        let run = try Spawned("ppo", args, name: "train")
        let status = await run.waitForExit(timeout: 240)
        return (status, run.stderr)
    }

    @Test("a run folder with a checkpoint: refused without a word on what to do; --resume continues, refuses a changed setting by name, says when the run is finished; --resume-if-present starts or continues; --overwrite starts over",
          .timeLimit(.minutes(10)))
    func resumeAndOverwrite() async throws {
        let dir = temporaryDirectory("resume-modes")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run")
        let file = CheckpointPolicy.file(in: out)
        #expect(try await Self.train(out).status == 0)
        #expect(try Checkpoint.read(from: file).updates == 2)
        // ppo eval takes the run's folder as well as the file; a folder without a checkpoint is one sentence.
        let evaluated = try Spawned("ppo", ["eval", "--checkpoint", out.path, "--episodes", "1"], name: "eval")
        #expect(await evaluated.waitForExit(timeout: 120) == 0, "\(evaluated.stderr)")
        let empty = try Spawned("ppo", ["eval", "--checkpoint", dir.path, "--episodes", "1"], name: "eval-empty")
        #expect(await empty.waitForExit(timeout: 60) != 0)
        #expect(empty.stderr.contains("no such file") && !empty.stderr.contains("NSCocoaErrorDomain"), "\(empty.stderr)")

        let again = try await Self.train(out)
        #expect(again.status == 1 && again.stderr.contains("already holds a checkpoint of CartPole-v1") && again.stderr.contains("--overwrite"), "\(again.stderr)")
        #expect(try Checkpoint.read(from: file).updates == 2, "the refused run touched the checkpoint")

        let finished = try await Self.train(out, ["--resume"])
        #expect(finished.status == 1 && finished.stderr.contains("has finished"), "\(finished.stderr)")
        let supervised = try await Self.train(out, ["--resume-if-present"])
        #expect(supervised.status == 0 && supervised.stderr.contains("has finished"), "\(supervised.stderr)")

        let changed = try await Self.train(out, ["--resume", "--steps", "1024", "--set", "clip_coef=0.3"])
        #expect(changed.status == 1 && changed.stderr.contains("clip_coef 0.3") && changed.stderr.contains("0.2"), "\(changed.stderr)")

        let more = try await Self.train(out, ["--resume", "--steps", "1024", "--set", "learning_rate=0.0001"])
        #expect(more.status == 0, "\(more.stderr)")
        let continued = try Checkpoint.read(from: file)
        #expect(continued.updates == 4 && continued.config.learningRate == 0.0001)

        #expect(try await Self.train(out, ["--overwrite"]).status == 0)
        #expect(try Checkpoint.read(from: file).updates == 2)

        let fresh = dir.appendingPathComponent("supervised")
        #expect(try await Self.train(fresh, ["--resume-if-present"]).status == 0)
        #expect(try Checkpoint.read(from: CheckpointPolicy.file(in: fresh)).updates == 2)
    }

    @Test("TLS on one side only is named in one sentence on both sides, without BoringSSL's dump; the plaintext worker stops instead of retrying",
          .timeLimit(.minutes(5)))
    func tlsMismatchIsNamed() async throws {
        let dir = temporaryDirectory("tls-mismatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let certs = dir.appendingPathComponent("certs")
        let made = try Spawned("ppo", ["certs", "--out", certs.path, "--learner-host", "127.0.0.1", "--workers", "1"], name: "certs")
        #expect(await made.waitForExit(timeout: 60) == 0)
        let common = ["--env", "CartPole-v1", "--host", "127.0.0.1", "--steps", "100000000", "--checkpoint-every", "0"]

        // A TLS learner, a plaintext worker.
        let tls = try await StartedLearner.start(common + ["--tls-dir", certs.path, "--checkpoint-dir", dir.appendingPathComponent("a").path])
        defer { tls.process.kill9() }
        let plain = try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(tls.port)", "--plaintext"], name: "plain-worker")
        defer { plain.kill9() }
        #expect(await plain.waitForExit(timeout: 60) == 1, "the plaintext worker kept retrying: \(plain.stderr.suffix(600))")
        #expect(plain.stderr.contains("speaks TLS and this worker was started with --plaintext"), "\(plain.stderr.suffix(600))")
        #expect(await tls.process.wait(for: 20) { _ in tls.process.stderr.contains("does not speak TLS") }, "\(tls.process.stderr.suffix(600))")
        for dump in ["OPENSSL_internal", ".cc:", "BoringSSL"] {
            #expect(!tls.process.stderr.contains(dump), "the learner's log shows BoringSSL's '\(dump)': \(tls.process.stderr.suffix(600))")
        }

        // A plaintext learner, a TLS worker.
        let open = try await StartedLearner.start(common + ["--plaintext", "--checkpoint-dir", dir.appendingPathComponent("b").path])
        defer { open.process.kill9() }
        let secure = try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(open.port)", "--tls-dir", certs.path, "--cert-name", "worker-1"], name: "tls-worker")
        defer { secure.kill9() }
        #expect(await secure.waitForExit(timeout: 60) == 1, "the TLS worker kept retrying: \(secure.stderr.suffix(600))")
        #expect(secure.stderr.contains("did not answer TLS"), "\(secure.stderr.suffix(600))")
        #expect(await open.process.wait(for: 20) { _ in open.process.stderr.contains(Frame.tlsMismatch) }, "\(open.process.stderr.suffix(600))")
    }

    @Test("a taken --metrics-port is one sentence that names the flag: no 'listening' first, no internal error from the event loops",
          .timeLimit(.minutes(3)))
    func takenMetricsPort() async throws {
        let dir = temporaryDirectory("metrics-taken")
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = ["--env", "CartPole-v1", "--host", "127.0.0.1", "--plaintext", "--steps", "100000000", "--checkpoint-every", "0"]
        let first = try await StartedLearner.start(common + ["--checkpoint-dir", dir.appendingPathComponent("a").path], metrics: true)
        defer { first.process.kill9() }
        let taken = try #require(first.metricsPort)
        let second = try Spawned("ppo-learner", common + ["--port", "0", "--metrics-port", "\(taken)", "--checkpoint-dir", dir.appendingPathComponent("b").path], name: "second")
        #expect(await second.waitForExit(timeout: 60) == 1)
        #expect(second.stderr.contains("cannot listen for metrics") && second.stderr.contains("--metrics-port"), "\(second.stderr)")
        #expect(!second.stderr.contains("EventLoop") && !second.stdout.contains("listening on"), "\(second.stdout) \(second.stderr)")
    }

    @Test("small ones: --workers -1 names the bound, not 'Missing value'; --quiet keeps the learner's info lines out, and ppo train's workers'",
          .timeLimit(.minutes(3)))
    func smallOnes() async throws {
        let negative = try Spawned("ppo", ["train", "--env", "CartPole-v1", "--workers", "-1"], name: "negative")
        #expect(await negative.waitForExit(timeout: 60) != 0)
        #expect(negative.stderr.contains("--workers must be 0–64") && !negative.stderr.contains("Missing value"), "\(negative.stderr)")

        let dir = temporaryDirectory("quiet")
        defer { try? FileManager.default.removeItem(at: dir) }
        let learner = try await StartedLearner.start([
            "--env", "CartPole-v1", "--host", "127.0.0.1", "--plaintext", "--steps", "100000000", "--checkpoint-every", "0",
            "--checkpoint-dir", dir.path, "--quiet"], metrics: true)
        defer { learner.process.kill9() }
        let worker = try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(learner.port)", "--plaintext", "--id", "quiet-test"], name: "worker")
        defer { worker.kill9() }
        // A worker connected and two updates made: without --quiet, info lines and progress lines would be out.
        #expect(await learner.waitForStatus(60) { $0.connectedWorkers == ["quiet-test"] }, "\(worker.stderr)")
        #expect(await learner.process.wait(for: 120) { _ in learner.process.lastUpdate >= 2 }, "\(learner.process.stderr.suffix(600))")
        #expect(!learner.process.stderr.contains(" info "), "--quiet printed info lines: \(learner.process.stderr.suffix(600))")
        #expect(!learner.process.stdout.contains("update "), "--quiet printed progress lines")

        // ppo train --quiet quiets the worker processes it starts too (their stderr is its own).
        let withWorkers = try Spawned("ppo", [
            "train", "--env", "CartPole-v1", "--workers", "1", "--steps", "512", "--set", "update_epochs=1", "--eval-episodes", "0",
            "--quiet", "--out", dir.appendingPathComponent("train").path], name: "quiet-train")
        #expect(await withWorkers.waitForExit(timeout: 120) == 0, "\(withWorkers.stderr.suffix(600))")
        #expect(!withWorkers.stderr.contains(" info "), "ppo train --quiet printed info lines: \(withWorkers.stderr.suffix(600))")
    }
}
