import Environments
import Foundation
import Testing
import Training

/// The Python interpreter with Gymnasium the tests hand to the commands (`--python`): `PPO_PYTHON`, else the
/// venv `.ci/run` makes. Without Gymnasium these tests are skipped, unless `PPO_REQUIRE_GYM=1` (CI).
enum GymPython {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()
    static let path: String = {
        if let p = ProcessInfo.processInfo.environment["PPO_PYTHON"], !p.isEmpty { return p }
        return root.appendingPathComponent(".build/ci-python/bin/python3").path
    }()
    /// The test environments (`gym:ppo_test_envs:…`) importable.
    static let environment = ["PYTHONPATH": root.appendingPathComponent("Tests/GymBridgeTests/fixtures").path]

    static func imports(_ module: String) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = ["-c", "import \(module)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
    static let required = ProcessInfo.processInfo.environment["PPO_REQUIRE_GYM"] == "1"
    static let gymnasium = required || imports("gymnasium")
    static let mujoco = required || imports("mujoco")
}

/// What `ppo train` wrote to summary.json.
struct TrainSummaryFile: Decodable {
    struct Summary: Decodable {
        var envSteps: Int
        var updates: Int
        var recentReturn: Double?
        var maxPolicyLag: Int?
        var transitions: Transitions?
    }
    struct Transitions: Decodable { var received: Int; var trained: Int; var dropped: Int }
    struct Evaluation: Decodable { var mean: Double; var std: Double; var episodes: Int }
    var summary: Summary
    var evaluation: Evaluation?

    static func read(_ dir: URL) throws -> TrainSummaryFile {
        try JSONDecoder().decode(TrainSummaryFile.self, from: Data(contentsOf: dir.appendingPathComponent("summary.json")))
    }
}

/// Gymnasium environments trained end to end by the real commands, through the Python bridge.
@Suite("Gymnasium environments (real processes)", .enabled(if: GymPython.gymnasium))
struct GymTrainingTests {
    /// Runs `ppo train` with `arguments` to its end; its output folder, stdout and stderr.
    func train(_ name: String, _ arguments: [String], timeout: Double = 600) async throws -> (dir: URL, process: Spawned, status: Int32?) {
        let dir = temporaryDirectory(name)
        let p = try Spawned("ppo", ["train", "--out", dir.path, "--python", GymPython.path] + arguments, name: name, environment: GymPython.environment)
        let status = await p.waitForExit(timeout: timeout)
        return (dir, p, status)
    }

    /// One worker process, so the run is the same every time however loaded the machine is (with two, how each
    /// rollout is split between them depends on timing, and on a loaded machine some splits learn less); several
    /// workers on a gym: env are the fault tests' subject below.
    @Test("gym:CartPole-v1 through a worker process over mutual TLS reaches a deterministic evaluation of 500 within 100k steps (seed 1)", .timeLimit(.minutes(10)))
    func cartPole() async throws {
        let (dir, p, status) = try await train("gym-cartpole", ["--env", "gym:CartPole-v1", "--workers", "1", "--seed", "1"])
        defer { try? FileManager.default.removeItem(at: dir) }
        try #require(status == 0, "\(p.stderr.suffix(1500))")
        let result = try TrainSummaryFile.read(dir)
        #expect(result.summary.envSteps <= 100_000)
        #expect(result.evaluation?.mean == 500, "\(p.stdout.suffix(600))")
    }

    /// In one process, so the run is the same every time (with workers, how the rollout is split between them
    /// depends on timing); seed 1 of five measured (Benchmarks/README.md). The run ends once its greedy policy
    /// evaluates at −180 or better (seed 1: after 40,960 of the preset's 300k steps), and the final evaluation, on
    /// other episodes, must reach −200.
    @Test("gym:Pendulum-v1 trains the continuous path to ≥ −200 within 300k steps, stopping on its greedy return (seed 1, one process)", .timeLimit(.minutes(10)))
    func pendulum() async throws {
        let (dir, p, status) = try await train("gym-pendulum", ["--env", "gym:Pendulum-v1", "--workers", "0", "--seed", "1", "--eval-every", "10",
                                                                "--eval-episodes", "10", "--stop-at-eval-return", "-180"])
        defer { try? FileManager.default.removeItem(at: dir) }
        try #require(status == 0, "\(p.stderr.suffix(1500))")
        let result = try TrainSummaryFile.read(dir)
        #expect(result.summary.envSteps <= 300_000)
        #expect((result.evaluation?.mean ?? -2000) >= -200, "\(p.stdout.suffix(600))")
    }

    @Test("a user's environment from its own module (gym:ppo_test_envs:Sign-v0) trains, and ppo eval loads the checkpoint", .timeLimit(.minutes(5)))
    func userEnvironment() async throws {
        try await trainsTheSignTask("gym-sign", env: "gym:ppo_test_envs:Sign-v0")
    }

    @Test("an env with a Dict observation (a Discrete key beside a 2 × 2 Box) trains with two workers on the flattened observation, and ppo eval loads the checkpoint", .timeLimit(.minutes(5)))
    func dictObservation() async throws {
        try await trainsTheSignTask("gym-dict", env: "gym:ppo_test_envs:DictSign-v0")
    }

    @Test("MultiDiscrete actions (two categoricals) and MultiBinary actions (three Bernoullis) train with two workers, and ppo eval loads the checkpoints",
          .timeLimit(.minutes(8)))
    func indexActions() async throws {
        try await trainsTheSignTask("gym-multisign", env: "gym:ppo_test_envs:MultiSign-v0")
        try await trainsTheSignTask("gym-bitsign", env: "gym:ppo_test_envs:BitSign-v0")
    }

    /// The image goes through the Nature CNN (36 × 36 is its smallest), permuted from channels-last, its features
    /// joined with the Dict's other key; the workers build the network the Welcome describes.
    @Test("an image observation (a 36 × 36 × 1 uint8 key beside a vector) trains a convolutional network with two workers to the greedy maximum, ppo eval loads it, and policy_from_checkpoint.py refuses it by name",
          .timeLimit(.minutes(8)))
    func imageObservation() async throws {
        let (dir, p, status) = try await train("gym-image", [
            "--env", "gym:ppo_test_envs:BrightSide-v0", "--workers", "2", "--steps", "4096", "--seed", "1",
            "--set", "rollout_steps=512", "--set", "shared_hidden_size=64"])
        defer { try? FileManager.default.removeItem(at: dir) }
        try #require(status == 0, "\(p.stderr.suffix(1500))")
        #expect(p.stderr.contains("network: convolutions 8×8/4 (32) → 4×4/2 (64) → 3×3/1 (64) over the image 36×36"), "\(p.stderr.prefix(1500))")
        let result = try TrainSummaryFile.read(dir)
        #expect(result.evaluation?.mean == 16, "\(p.stdout.suffix(600))")
        #expect(result.summary.transitions.map { $0.received == $0.trained + $0.dropped } == true)
        let checkpoint = dir.appendingPathComponent("checkpoint.safetensors").path
        let eval = try Spawned("ppo", ["eval", "--checkpoint", checkpoint, "--episodes", "5", "--json", "--python", GymPython.path],
                               name: "eval", environment: GymPython.environment)
        #expect(await eval.waitForExit(timeout: 120) == 0, "\(eval.stderr.suffix(800))")
        let evaluated = try JSONDecoder().decode(TrainSummaryFile.Evaluation.self, from: Data(eval.stdout.utf8))
        #expect(evaluated.episodes == 5 && evaluated.mean == 16)
        let observations = dir.appendingPathComponent("observations.json")
        try Data("[[0]]".utf8).write(to: observations)
        let numpy = try Spawned(url: URL(fileURLWithPath: GymPython.path), [
            GymPython.root.appendingPathComponent("Deploy/policy_from_checkpoint.py").path, checkpoint, observations.path], name: "numpy")
        #expect(await numpy.waitForExit(timeout: 60) != 0)
        #expect(numpy.stderr.contains("convolutional") && numpy.stderr.contains("ppo export"), "\(numpy.stderr.suffix(800))")
    }

    /// What a user's Ctrl-Z and `fg`, a job scheduler's suspension or a laptop's sleep does: every process of the run
    /// stopped for longer than --env-timeout, the worker continued before its Python process. The env has not hung:
    /// the run goes on (the timeout counts the time the worker ran).
    @Test("a run stopped (SIGSTOP) for longer than --env-timeout and continued, Python last, finishes without taking the env for hung", .timeLimit(.minutes(8)))
    func stoppedAndContinued() async throws {
        let dir = temporaryDirectory("gym-stopped")
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = try Spawned("ppo", ["train", "--out", dir.path, "--python", GymPython.path, "--env", "gym:ppo_test_envs:Sign-v0", "--workers", "0",
                                    "--steps", "12288", "--set", "rollout_steps=512", "--env-timeout", "2", "--eval-episodes", "0"],
                            name: "gym-stopped", environment: GymPython.environment)
        defer { p.kill9() }
        try #require(await p.wait(for: 120) { $0.contains("update    2/") }, "\(p.stderr.suffix(1500))")
        let pid = p.process.processIdentifier
        let python = try #require(Self.children(of: pid).first, "the bridge's Python process")
        kill(python, SIGSTOP)
        kill(pid, SIGSTOP)
        try await Task.sleep(for: .seconds(4))
        kill(pid, SIGCONT)
        try await Task.sleep(for: .milliseconds(500))
        kill(python, SIGCONT)
        let status = await p.waitForExit(timeout: 300)
        #expect(status == 0, "\(p.stderr.suffix(1500))")
        #expect(!p.stderr.contains("no answer"), "\(p.stderr.suffix(1500))")
        #expect(try TrainSummaryFile.read(dir).summary.envSteps >= 12288)
    }

    /// The pids of `pid`'s children (every thread's).
    static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int32($0) }
        }
    }

    /// Trains `env` (Sign-v0's task: a return of 32 when solved) with two workers, and expects a greedy return of
    /// at least 30 at the end and from `ppo eval` of the checkpoint.
    func trainsTheSignTask(_ name: String, env: String) async throws {
        let (dir, p, status) = try await train(name, ["--env", env, "--workers", "2", "--steps", "40960", "--set", "num_envs=4", "--set", "rollout_steps=512"])
        defer { try? FileManager.default.removeItem(at: dir) }
        try #require(status == 0, "\(p.stderr.suffix(1500))")
        #expect((try TrainSummaryFile.read(dir).evaluation?.mean ?? 0) >= 30, "\(p.stdout.suffix(600))")
        let eval = try Spawned("ppo", ["eval", "--checkpoint", dir.appendingPathComponent("checkpoint.safetensors").path, "--episodes", "5", "--json", "--python", GymPython.path],
                               name: "eval", environment: GymPython.environment)
        #expect(await eval.waitForExit(timeout: 120) == 0, "\(eval.stderr.suffix(800))")
        let evaluated = try JSONDecoder().decode(TrainSummaryFile.Evaluation.self, from: Data(eval.stdout.utf8))
        #expect(evaluated.episodes == 5 && evaluated.mean >= 30)
    }

    @Test("an env that raises, exits, hangs or returns NaN once: that worker gives its grant back, restarts Python, and the run finishes with every transition accounted for",
          .timeLimit(.minutes(10)), arguments: ["raise", "exit", "hang", "nan_obs"])
    func faultOnce(kind: String) async throws {
        let marker = temporaryDirectory("fault-\(kind)").appendingPathComponent("fired")
        let (dir, p, status) = try await train("gym-fault-\(kind)", [
            "--env", "gym:ppo_test_envs:Faulty-v0", "--env-arg", "fault=\(kind)", "--env-arg", "at_step=310",
            "--env-arg", "once_file=\(marker.path)", "--workers", "2", "--steps", "8192", "--env-timeout", "2", "--eval-episodes", "0"])
        defer { try? FileManager.default.removeItem(at: dir) }
        try #require(status == 0, "\(p.stderr.suffix(1500))")
        #expect(FileManager.default.fileExists(atPath: marker.path), "the fault never fired")
        let expected = ["raise": "RuntimeError: injected fault at step 310", "exit": "exited with status 3", "hang": "no answer from the Python process within 2.0 s",
                        "nan_obs": "returned a non-finite observation"][kind] ?? "?"
        #expect(p.stderr.contains("environment failed") && p.stderr.contains(expected), "\(p.stderr.suffix(1500))")
        let summary = try TrainSummaryFile.read(dir).summary
        #expect(summary.updates == 4)
        // Nothing partial was trained: received = trained + dropped, and trained = 4 rollouts.
        let t = try #require(summary.transitions)
        #expect(t.received == t.trained + t.dropped && t.trained == 8192, "\(t)")
    }

    @Test("a worker whose env fails every time exits 1 after --max-env-failures, saying why; the learner trains on with the other worker", .timeLimit(.minutes(5)))
    func failingEveryTime() async throws {
        let dir = temporaryDirectory("gym-failing")
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["--env", "gym:ppo_test_envs:Faulty-v0", "--env-arg", "fault=raise", "--env-arg", "at_step=100"]
        let (learner, port) = try await learner(env + ["--steps", "6144"], dir: dir)
        defer { learner.kill9() }
        let common = ["--learner", "127.0.0.1:\(port)", "--plaintext", "--envs", "1", "--python", GymPython.path]
        let failing = try Spawned("ppo-worker", common + ["--id", "failing", "--max-env-failures", "2"], name: "failing", environment: GymPython.environment)
        defer { failing.kill9() }
        #expect(await failing.waitForExit(timeout: 120) == 1)
        #expect(failing.stderr.contains("error: the environment failed 2 times in a row") && failing.stderr.contains("RuntimeError: injected fault at step 100"), "\(failing.stderr.suffix(800))")
        let healthy = try Spawned("ppo-worker", common + ["--id", "healthy"], name: "healthy",
                                  environment: GymPython.environment.merging(["PPO_TEST_FAULT_DISABLED": "1"]) { $1 })
        defer { healthy.kill9() }
        #expect(await learner.waitForExit(timeout: 180) == 0, "\(learner.stderr.suffix(800))")
        let m = try learnerSummary(dir)
        #expect(m.policyVersion == 3 && m.updates == 3, "\(m)")
        #expect(learner.stderr.contains("environmentFailed") || learner.stderr.contains("reported error 22"), "\(learner.stderr.suffix(800))")
    }

    @Test("a missing interpreter, an unknown id and a module that fails to import stop the command at start with one sentence")
    func startErrors() async throws {
        let cases: [([String], String)] = [
            (["--env", "gym:CartPole-v1", "--python", "/nonexistent/python3"], "cannot start the Python interpreter '/nonexistent/python3'"),
            (["--env", "gym:NoSuchEnv-v9"], "NoSuchEnv"),
            (["--env", "gym:ppo_broken_module:Env-v0"], "fails to import on purpose"),
            (["--env", "gym:ppo_test_envs:TextKey-v0"], "FilterObservation"),
        ]
        for (arguments, words) in cases {
            for workers in ["0", "2"] {
                let (dir, p, status) = try await train("gym-start", arguments + ["--workers", workers], timeout: 120)
                try? FileManager.default.removeItem(at: dir)
                #expect(status != 0 && status != nil)
                #expect(p.stderr.contains(words), "\(arguments) --workers \(workers): \(p.stderr.suffix(800))")
            }
        }
    }

    @Test("a worker whose environment differs from the learner's (other gymnasium.make arguments) is refused with envMismatch and exits 1", .timeLimit(.minutes(3)))
    func environmentMismatch() async throws {
        let dir = temporaryDirectory("gym-mismatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (learner, port) = try await learner(["--env", "gym:CartPole-v1"], dir: dir)
        defer { learner.kill9() }
        let worker = try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(port)", "--plaintext", "--python", GymPython.path,
                                                "--env", "gym:CartPole-v1", "--env-arg", "max_episode_steps=100"], name: "worker", environment: GymPython.environment)
        defer { worker.kill9() }
        #expect(await worker.waitForExit(timeout: 120) == 1)
        #expect(worker.stderr.contains("envMismatch"), "\(worker.stderr.suffix(800))")
    }

    @Test("the learner's --env-wrapper reaches its workers: one pinned to the env without it is refused with envMismatch; an unpinned worker applies it (every episode of gym:CartPole-v1 cut at 20 steps) beside one pinned with the same wrapper; the checkpoint keeps it",
          .timeLimit(.minutes(5)))
    func wrapperReachesWorkers() async throws {
        let dir = temporaryDirectory("gym-wrapper")
        defer { try? FileManager.default.removeItem(at: dir) }
        let wrapper = ["--env-wrapper", #"gymnasium.wrappers:TimeLimit={"max_episode_steps": 20}"#]
        let started = try await StartedLearner.start(
            ["--env", "gym:CartPole-v1", "--steps", "8192", "--plaintext", "--host", "127.0.0.1", "--checkpoint-dir", dir.path,
             "--python", GymPython.path] + wrapper, metrics: true, environment: GymPython.environment, timeout: 120)
        let learner = started.process
        defer { learner.kill9() }
        // 2 ms a step: neither worker can finish the run alone before the other has connected.
        let common = ["--learner", "127.0.0.1:\(started.port)", "--plaintext", "--envs", "2", "--step-delay", "2ms", "--python", GymPython.path]
        func worker(_ id: String, _ more: [String]) throws -> Spawned {
            try Spawned("ppo-worker", common + ["--id", id] + more, name: id, environment: GymPython.environment)
        }
        let unwrapped = try worker("unwrapped", ["--env", "gym:CartPole-v1"])
        defer { unwrapped.kill9() }
        #expect(await unwrapped.waitForExit(timeout: 120) == 1)
        #expect(unwrapped.stderr.contains("envMismatch"), "\(unwrapped.stderr.suffix(800))")
        let follower = try worker("follower", [])
        defer { follower.kill9() }
        #expect(await started.waitForStatus(60) { $0.connectedWorkers.contains("follower") }, "\(follower.stderr.suffix(800))")
        let pinned = try worker("pinned", ["--env", "gym:CartPole-v1"] + wrapper)
        defer { pinned.kill9() }
        #expect(await started.waitForStatus(60) { Set($0.connectedWorkers) == ["follower", "pinned"] }, "\(pinned.stderr.suffix(800))")
        #expect(await learner.waitForExit(timeout: 240) == 0, "\(learner.stderr.suffix(800))")
        let saved = try Checkpoint.read(from: dir.appendingPathComponent("checkpoint.safetensors"))
        #expect(saved.envSetup.wrappers == [EnvironmentSetup.Wrapper(path: "gymnasium.wrappers:TimeLimit", arguments: #"{"max_episode_steps":20}"#)])
        let returns = saved.recentReturns.values
        #expect(!returns.isEmpty && returns.allSatisfy { $0 >= 1 && $0 <= 20 }, "returns \(returns)")
    }

    /// Starts a plaintext learner on a free loopback port for `env`; the learner and its port.
    func learner(_ env: [String], dir: URL, environment: [String: String] = GymPython.environment) async throws -> (Spawned, Int) {
        let started = try await StartedLearner.start(
            env + ["--plaintext", "--host", "127.0.0.1", "--checkpoint-dir", dir.path, "--python", GymPython.path],
            environment: environment, timeout: 120)
        return (started.process, started.port)
    }

    @Test("a worker whose environment has other spaces than the learner's under the same id and arguments (another package version) refuses the run and exits 1", .timeLimit(.minutes(3)))
    func otherPackageVersion() async throws {
        let dir = temporaryDirectory("gym-version")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (learner, port) = try await learner(["--env", "gym:ppo_test_envs:Versioned-v0"], dir: dir)
        defer { learner.kill9() }
        let worker = try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(port)", "--plaintext", "--python", GymPython.path], name: "worker",
                                 environment: GymPython.environment.merging(["PPO_TEST_ENV_VERSION": "2"]) { $1 })
        defer { worker.kill9() }
        #expect(await worker.waitForExit(timeout: 120) == 1)
        #expect(worker.stderr.contains("is not the learner's") && worker.stderr.contains("box:2:-2.0,-2.0:2.0,2.0"), "\(worker.stderr.suffix(800))")
        #expect(learner.stderr.contains("reported error 18"), "\(learner.stderr.suffix(800))")
    }

    @Test("no Python process outlives its worker: SIGKILL a worker whose env hangs inside step, and its Python process is gone", .timeLimit(.minutes(3)))
    func pythonDiesWithItsWorker() async throws {
        let dir = temporaryDirectory("gym-orphan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let started = try await StartedLearner.start(
            ["--env", "gym:ppo_test_envs:Faulty-v0", "--env-arg", "fault=hang", "--env-arg", "at_step=20", "--plaintext", "--host", "127.0.0.1",
             "--checkpoint-dir", dir.path, "--python", GymPython.path], metrics: true, environment: GymPython.environment, timeout: 120)
        let learner = started.process, port = started.port
        defer { learner.kill9() }
        let worker = try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(port)", "--plaintext", "--envs", "1", "--python", GymPython.path],
                                 name: "worker", environment: GymPython.environment)
        defer { worker.kill9() }
        // The env hangs at its 20th step, long before the default --env-timeout of 60 s: once the worker holds a
        // grant, it is collecting (and soon hanging) in its Python process.
        try #require(await started.waitForStatus(60) { $0.workers.contains { $0.state == "connected" && $0.openGrants > 0 } })
        let python = try TrainInterruptTests.children(named: "python3", of: worker.process.processIdentifier)
        try #require(python.count == 1, "the worker's Python processes: \(python)")
        await worker.killed()
        var alive = true
        for _ in 0..<40 where alive {
            await pause(0.05)
            alive = kill(python[0], 0) == 0 && !Self.isZombie(python[0])
        }
        #expect(!alive, "the Python process \(python[0]) outlived its worker")
        if alive { kill(python[0], SIGKILL) }
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }

    /// The way Benchmarks/README.md trains the MuJoCo presets: one process, the envs stepped on their own thread (the
    /// bridge's collector sleeping on its pipe at every step) while the update runs.
    @Test("gym:HalfCheetah-v5 (MuJoCo) with its preset, in one process with the preset's policy lag of 1, runs end to end for 4096 steps: finite returns, a checkpoint ppo eval loads",
          .enabled(if: GymPython.mujoco), .timeLimit(.minutes(10)))
    func halfCheetah() async throws {
        let (dir, p, status) = try await train(
            "gym-cheetah", ["--env", "gym:HalfCheetah-v5", "--workers", "0", "--steps", "4096", "--eval-episodes", "2"])
        defer { try? FileManager.default.removeItem(at: dir) }
        try #require(status == 0, "\(p.stderr.suffix(1500))")
        let result = try TrainSummaryFile.read(dir)
        #expect(result.summary.envSteps == 4096 && result.summary.updates == 8)
        #expect(result.summary.maxPolicyLag == 1, "not overlapped: \(String(describing: result.summary.maxPolicyLag))")
        #expect(result.summary.recentReturn?.isFinite == true && result.evaluation?.mean.isFinite == true)
        let eval = try Spawned("ppo", ["eval", "--checkpoint", dir.appendingPathComponent("checkpoint.safetensors").path, "--episodes", "2", "--python", GymPython.path],
                               name: "eval", environment: GymPython.environment)
        #expect(await eval.waitForExit(timeout: 180) == 0, "\(eval.stderr.suffix(800))")
        #expect(eval.stdout.contains("gym:HalfCheetah-v5") && eval.stdout.contains("over 2 episodes"), "\(eval.stdout)")
    }
}
