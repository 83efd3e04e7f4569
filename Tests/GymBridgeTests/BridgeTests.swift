import Environments
import Foundation
import GymBridge
import PPOCore
import Testing
import Training
import TestSupport

/// The bridge against real Python processes: Gymnasium's own numbers, the spaces, every refusal and every fault.
@Suite("Gymnasium bridge", .enabled(if: Gym.enabled), .offThePool)
struct BridgeTests {
    /// Steps `count` envs of `id` through the bridge with `actions` (one row per vector step) and, in Python, the
    /// same envs the same way with Gymnasium alone; returns both as JSON-like rows.
    func bothWays(_ id: String, count: Int, seed: UInt64, actions: [[Float]]) throws -> (bridge: [[Double]], gymnasium: [[Double]]) {
        let env = try GymVectorEnv(selection: EnvironmentSelection(id: "gym:\(id)"), count: count, seed: seed, options: Gym.options())
        var rows: [[Double]] = [env.observations.map(Double.init)]
        for a in actions {
            try a.withUnsafeBufferPointer { try env.step(actions: $0) }
            var row = env.observations.map(Double.init) + env.rewards.map(Double.init)
            row += env.terminated.map { $0 ? 1 : 0 } + env.truncated.map { $0 ? 1 : 0 }
            row += env.finalObservations.map(Double.init)
            rows.append(row)
        }
        env.close()
        let seeds = (0..<count).map { RNG(seed: seed).split(UInt64($0)).seed }
        let script = """
            import json, sys, numpy as np, gymnasium as gym
            spec = json.loads(sys.argv[1])
            envs = [gym.make(spec["id"]) for _ in spec["seeds"]]
            flat = lambda x: gym.spaces.flatten(envs[0].observation_space, x)
            f = lambda x: [float(np.float32(v)) for v in np.asarray(flat(x), dtype=np.float32).ravel()]
            obs = [f(e.reset(seed=s)[0]) for e, s in zip(envs, spec["seeds"])]
            rows = [sum(obs, [])]
            for a in spec["actions"]:
                A = len(a) // len(envs)
                r, te, tr, fin = [], [], [], []
                for i, e in enumerate(envs):
                    act = a[i * A:(i + 1) * A]
                    if isinstance(e.action_space, gym.spaces.Discrete): act = int(act[0])
                    else:
                        low, high = e.action_space.low.ravel(), e.action_space.high.ravel()
                        act = np.clip(np.asarray(act, dtype=np.float32), low, high).reshape(e.action_space.shape)
                    o, rew, term, trunc, _ = e.step(act)
                    r.append(float(np.float32(rew))); te.append(float(term)); tr.append(float(trunc))
                    if term or trunc:
                        fin += f(o); o = e.reset()[0]
                    else:
                        fin += [0.0] * len(f(o))
                    obs[i] = f(o)
                rows.append(sum(obs, []) + r + te + tr + fin)
            print(json.dumps(rows))
            """
        let payload = String(decoding: try JSONSerialization.data(withJSONObject: ["id": id, "seeds": seeds.map { NSNumber(value: $0) }, "actions": actions.map { $0.map(Double.init) }]), as: UTF8.self)
        var output = ""
        #expect(Gym.run(["-c", script, payload], output: &output) == 0)
        let reference = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[Double]] ?? []
        return (rows, reference)
    }

    /// Where two tables first differ as float32 ("" when they are equal), kept short for the log. (Compared as
    /// Float: Foundation's JSON reader may land one double-ulp away from Python's shortest repr.)
    func firstDifference(_ da: [[Double]], _ db: [[Double]]) -> String {
        let a = da.map { $0.map(Float.init) }, b = db.map { $0.map(Float.init) }
        guard a.count == b.count else { return "\(a.count) rows against \(b.count)" }
        for (i, (x, y)) in zip(a, b).enumerated() where x != y {
            guard x.count == y.count else { return "row \(i): \(x.count) values against \(y.count)" }
            let j = x.indices.first { x[$0] != y[$0] } ?? 0
            return "row \(i), column \(j): \(x[j]) against \(y[j])"
        }
        return ""
    }

    @Test("CartPole-v1 through the bridge: observations, rewards, flags and final observations equal Gymnasium's, step for step")
    func cartPoleMatchesGymnasium() throws {
        var rng = RNG(seed: 7)
        let actions = (0..<400).map { _ in (0..<3).map { _ in Float(rng.next() % 2) } }
        let (bridge, gymnasium) = try bothWays("CartPole-v1", count: 3, seed: 11, actions: actions)
        #expect(bridge.count == 401)
        #expect(firstDifference(bridge, gymnasium) == "")
        // Episodes ended (and were reset) inside the run, so the auto-reset path was compared too.
        #expect(bridge.dropFirst().contains { row in row[12..<15].contains(1) })
    }

    @Test("Pendulum-v1 through the bridge: actions outside the bounds are clipped as Gymnasium would have them; numbers equal")
    func pendulumMatchesGymnasium() throws {
        var rng = RNG(seed: 3)
        let actions = (0..<250).map { _ in (0..<2).map { _ in Float(rng.uniformDouble() * 8 - 4) } }
        let (bridge, gymnasium) = try bothWays("Pendulum-v1", count: 2, seed: 5, actions: actions)
        #expect(bridge.count == 251)
        #expect(firstDifference(bridge, gymnasium) == "")
    }

    @Test("a Dict of an image, an N-D Box, Discrete, MultiBinary, MultiDiscrete, bool and int keys, with a 2 × 2 Box action: the bridge's rows are gymnasium.spaces.flatten's, step for step")
    func flattenedSpacesMatchGymnasium() throws {
        var rng = RNG(seed: 9)
        let actions = (0..<25).map { _ in (0..<8).map { _ in Float(rng.uniformDouble() * 3 - 1.5) } }
        let (bridge, gymnasium) = try bothWays("ppo_test_envs:AllSpaces-v0", count: 2, seed: 13, actions: actions)
        #expect(bridge.count == 26 && bridge[0].count == 2 * 81)
        #expect(firstDifference(bridge, gymnasium) == "")

        let spec = try EnvironmentCatalog.spec(for: EnvironmentSelection(id: "gym:ppo_test_envs:AllSpaces-v0"), bridge: Gym.options())
        #expect(spec.observationSize == 81 && spec.actionSize == 4)
        #expect(spec.observationFlattenedFrom?.hasPrefix("Dict('bits': MultiBinary(3)") == true, "\(spec)")
        #expect(spec.actionFlattenedFrom == "Box(-1.0, 1.0, (2, 2), float32)", "\(spec)")
        // The spaces it was flattened from are part of the signature, and a flat env's signature has none of it.
        var unflattened = spec
        unflattened.observationFlattenedFrom = nil
        #expect(spec.signature(arguments: "") != unflattened.signature(arguments: ""))
        #expect(spec.canonicalDescription(arguments: "").contains("|obs_from=Dict("))
        let cartPole = try EnvironmentCatalog.spec(for: EnvironmentSelection(id: "gym:CartPole-v1"), bridge: Gym.options())
        #expect(cartPole.observationFlattenedFrom == nil && cartPole.actionFlattenedFrom == nil && cartPole.flatteningNote == nil)
        // The run's console says what was flattened, and into how many values.
        let note = spec.flatteningNote ?? ""
        #expect(note.hasPrefix("flattened as gymnasium.spaces.flatten does: observation Dict('bits'") && note.contains(" → 81 values; action Box(-1.0, 1.0, (2, 2), float32) → 4 values"), "\(note)")
    }

    @Test("the spec comes from the bridge: spaces, bounds, time limit, reward threshold")
    func specs() throws {
        let cartPole = try EnvironmentCatalog.spec(for: EnvironmentSelection(id: "gym:CartPole-v1"), bridge: Gym.options())
        #expect(cartPole.id == "gym:CartPole-v1")
        #expect(cartPole.observationSize == 4 && cartPole.actionSpace == .discrete(2))
        #expect(cartPole.maxEpisodeSteps == 500 && cartPole.rewardThreshold == 475)
        let pendulum = try EnvironmentCatalog.spec(for: EnvironmentSelection(id: "gym:Pendulum-v1"), bridge: Gym.options())
        #expect(pendulum.actionSpace == .box(low: [-2], high: [2]) && pendulum.maxEpisodeSteps == 200 && pendulum.rewardThreshold == nil)
        let limited = try EnvironmentCatalog.spec(
            for: EnvironmentSelection(id: "gym:CartPole-v1", arguments: #"{"max_episode_steps": 100}"#), bridge: Gym.options())
        #expect(limited.maxEpisodeSteps == 100)
        if Gym.hasMuJoCo {
            let cheetah = try EnvironmentCatalog.spec(for: EnvironmentSelection(id: "gym:HalfCheetah-v5"), bridge: Gym.options())
            #expect(cheetah.observationSpace == .box(low: Array(repeating: -.infinity, count: 17), high: Array(repeating: .infinity, count: 17)))
            #expect(cheetah.actionSpace == .box(low: Array(repeating: -1, count: 6), high: Array(repeating: 1, count: 6)))
            #expect(cheetah.maxEpisodeSteps == 1000)
        }
    }

    @Test("MultiDiscrete and MultiBinary actions: the spec has their space, a 2 × 2 int8 action reaches step as the env's own array, and an index outside its component's range stops before Python")
    func indexActions() throws {
        let sign = try EnvironmentCatalog.spec(for: EnvironmentSelection(id: "gym:ppo_test_envs:MultiSign-v0"), bridge: Gym.options())
        #expect(sign.actionSpace == .multiDiscrete([2, 3]) && sign.actionFlattenedFrom == nil)
        let bits = try EnvironmentCatalog.spec(for: EnvironmentSelection(id: "gym:ppo_test_envs:BitSign-v0"), bridge: Gym.options())
        #expect(bits.actionSpace == .multiBinary(3))
        let env = try GymVectorEnv(selection: EnvironmentSelection(id: "gym:ppo_test_envs:EchoIndexAction-v0"), count: 1, seed: 0, options: Gym.options())
        #expect(env.spec.actionSpace == .multiDiscrete([2, 3, 4, 5]) && env.spec.actionFlattenedFrom?.hasPrefix("MultiDiscrete([[2 3]") == true)
        try [Float]([1, 2, 3, 4]).withUnsafeBufferPointer { try env.step(actions: $0) }
        #expect(Array(env.observations) == [1, 2, 3, 4, 1])  // the action as the env got it, and "inside the space, int8"
        #expect(throws: EnvironmentError.invalidAction(envID: "gym:ppo_test_envs:EchoIndexAction-v0", action: [1, 3, 0, 0], reason: .outOfRange(count: 3))) {
            try [Float]([1, 3, 0, 0]).withUnsafeBufferPointer { try env.step(actions: $0) }
        }
    }

    /// The error starting `id` gives.
    func startError(_ id: String, arguments: String = "", options: BridgeOptions = Gym.options()) -> EnvironmentError? {
        do {
            _ = try GymVectorEnv(selection: EnvironmentSelection(id: id, arguments: arguments), count: 2, seed: 0, options: options)
            return nil
        } catch {
            return error
        }
    }

    @Test("a missing interpreter, an unknown id, a module that fails to import and bad arguments each stop the start with one sentence")
    func startRefusals() throws {
        var missing = Gym.options()
        missing.python = "/nonexistent/python3"
        let noPython = try #require(startError("gym:CartPole-v1", options: missing))
        #expect(noPython == .bridge(.interpreterNotFound(python: "/nonexistent/python3", reason: "not found (is Python installed, or on PATH?)")))
        #expect(noPython.description.contains("--python"))

        let unknown = try #require(startError("gym:NoSuchEnv-v9"))
        guard case .bridge(.refused(_, "unknown_env", let message)) = unknown else { Issue.record("\(unknown)"); return }
        #expect(message.contains("NoSuchEnv"))

        let broken = try #require(startError("gym:ppo_broken_module:Env-v0"))
        guard case .bridge(.refused(_, "module_import", let why)) = broken else { Issue.record("\(broken)"); return }
        #expect(why.contains("fails to import on purpose"))

        let badArgument = try #require(startError("gym:CartPole-v1", arguments: #"{"no_such_kwarg": 1}"#))
        guard case .bridge(.refused(_, "bad_arguments", _)) = badArgument else { Issue.record("\(badArgument)"); return }
    }

    @Test("spaces the policy cannot handle are refused at start, naming the space (and its key) and the wrapper that would make it usable")
    func unsupportedSpaces() throws {
        for (id, words) in [("TextKey-v0", ["'mission'", "Text(", "FilterObservation"]), ("NestedDict-v0", ["'arm'", "FlattenObservation"]),
                            ("ShiftedMultiDiscrete-v0", ["MultiDiscrete", "start at 0"])] {
            let error = try #require(startError("gym:ppo_test_envs:\(id)"))
            guard case .bridge(.refused(_, "unsupported_space", let message)) = error else { Issue.record("\(id): \(error)"); continue }
            for word in words { #expect(message.contains(word), "\(id): \(message)") }
            #expect(error.description.count < 600)
        }
    }

    /// Steps a Faulty-v0 env with `fault` at step 5 until it fails; the error, and the env (broken after it).
    func fault(_ fault: String, timeout: Duration = .seconds(30)) throws -> (EnvironmentError?, GymVectorEnv) {
        let env = try GymVectorEnv(
            selection: EnvironmentSelection(id: "gym:ppo_test_envs:Faulty-v0", arguments: #"{"at_step": 5, "fault": "\#(fault)"}"#),
            count: 2, seed: 1, options: Gym.options(timeout: timeout))
        for _ in 0..<10 {
            do {
                try [Float(0), 1].withUnsafeBufferPointer { try env.step(actions: $0) }
            } catch {
                return (error as? EnvironmentError, env)
            }
        }
        return (nil, env)
    }

    @Test("an exception, a dead process, a hang and NaN each give their error, and the envs count as broken after it")
    func faults() throws {
        let (raised, raisedEnv) = try fault("raise")
        guard case .bridge(.raised(_, 0, let message)) = raised else { Issue.record("\(String(describing: raised))"); return }
        #expect(message.contains("RuntimeError") && message.contains("injected fault"))
        #expect(raisedEnv.broken != nil)
        #expect(throws: EnvironmentError.self) { try [Float(0), 0].withUnsafeBufferPointer { try raisedEnv.step(actions: $0) } }

        let (exited, _) = try fault("exit")
        guard case .bridge(.exited(_, let status, _)) = exited else { Issue.record("\(String(describing: exited))"); return }
        #expect(status == "exited with status 3")

        let (hung, hungEnv) = try fault("hang", timeout: .seconds(1))
        guard case .bridge(.timedOut(_, 1, "step")) = hung else { Issue.record("\(String(describing: hung))"); return }
        // The hung process was killed, not left behind.
        #expect(kill(hungEnv.processID, 0) != 0)

        let (nanObservation, _) = try fault("nan_obs")
        guard case .bridge(.nonFinite(_, 0, 5, let what)) = nanObservation else { Issue.record("\(String(describing: nanObservation))"); return }
        #expect(what.hasPrefix("observation"))
        let (nanReward, _) = try fault("nan_reward")
        guard case .bridge(.nonFinite(_, 0, 5, let rewardWhat)) = nanReward else { Issue.record("\(String(describing: nanReward))"); return }
        #expect(rewardWhat.hasPrefix("reward"))
    }

    @Test("closing the envs ends the Python process; an env's prints do not disturb the channel")
    func lifecycle() throws {
        let env = try GymVectorEnv(selection: EnvironmentSelection(id: "gym:ppo_test_envs:Chatty-v0"), count: 2, seed: 0, options: Gym.options())
        for _ in 0..<50 { try [Float(1), 0].withUnsafeBufferPointer { try env.step(actions: $0) } }
        #expect(env.broken == nil)
        let pid = env.processID
        #expect(kill(pid, 0) == 0)
        env.close()
        #expect(kill(pid, 0) != 0)
    }
}

/// An evaluation while training that fails is reported and skipped; the next one starts a new bridge.
@Suite("Evaluation while training, through the bridge", .enabled(if: Gym.enabled), .offThePool)
struct BridgeEvaluationFailureTests {
    @Test("a bridge that dies, or sends NaN, during an evaluation: no evaluation is recorded, nothing is thrown, the next one runs again")
    func failedEvaluation() throws {
        for fault in ["exit", "nan_obs"] {
            let selection = EnvironmentSelection(id: "gym:ppo_test_envs:Faulty-v0", arguments: #"{"at_step":3,"fault":"\#(fault)"}"#)
            let evaluation = PeriodicEvaluation(schedule: EvaluationSchedule(every: 1, episodes: 2), selection: selection, runSeed: 1,
                                                bridge: Gym.options(), folder: nil)
            let trainer = Trainer(observationSize: 2, actionSpace: .discrete(2), config: .default, seed: 1)
            for update in 1...2 {
                trainer.restore(version: UInt64(update), updates: update, trainedTransitions: 0, normalizer: nil, rng: RNG(seed: 1))
                #expect(evaluation.evaluateIfDue(trainer, envSteps: 0) { Checkpoint(trainer: trainer, envID: selection.id, envSteps: 0) } == nil)
            }
            #expect(evaluation.history.points.isEmpty, "\(fault)")
        }
    }
}

/// Frames from Gymnasium's own renderer, through the bridge (`BridgeOptions.render`).
@Suite("Rendering through the bridge", .enabled(if: Gym.enabled), .offThePool)
struct BridgeRenderTests {
    @Test("a rendering bridge reports its frame size in the hello and sends env 0's frame as the env drew it; a plain one renders nothing")
    func frames() throws {
        let selection = EnvironmentSelection(id: "gym:ppo_test_envs:Sign-v0")
        let env = try GymVectorEnv(selection: selection, count: 2, seed: 3, options: Gym.options().rendering())
        #expect(env.frameSize?.height == 8 && env.frameSize?.width == 12)
        for _ in 0..<3 {
            let frame = try #require(try env.renderFrame())
            #expect(frame.width == 12 && frame.height == 8 && frame.pixels.count == 8 * 12 * 3)
            // Sign-v0 paints green for a positive sign, red for a negative one, and its noise in blue.
            let sign = env.observations[0], noise = env.observations[1]
            let expected: [UInt8] = [sign < 0 ? 255 : 0, sign < 0 ? 0 : 255, UInt8(Int((noise + 1) * 127.5))]
            #expect(Array(frame.pixels.prefix(3)) == expected && Array(frame.pixels.suffix(3)) == expected)
            try [Float](repeating: 1, count: 2).withUnsafeBufferPointer { try env.step(actions: $0) }
        }
        let plain = try GymVectorEnv(selection: selection, count: 1, seed: 3, options: Gym.options())
        #expect(plain.frameSize == nil)
        #expect(try plain.renderFrame() == nil)
    }
}
