import ArgumentParser
import Environments
import CommandSupport
import Foundation
import PPOBench
import PPOCore

@main
struct PPO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo",
        abstract: "Proximal Policy Optimization in Swift: training, evaluation and benchmarks.",
        subcommands: [Train.self, Eval.self, Export.self, StatusCommand.self, Certs.self, Envs.self, PresetsCommand.self, Bench.self, FloodCommand.self])
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Micro-benchmarks (build with -c release: debug builds are hundreds of times slower).",
        discussion: """
            Benchmarks:
              update-step  one PPO minibatch-64 step of the 4-64-64 actor + critic
                           (forward, loss, backward, clip, Adam); PyTorch: ~975 µs
              act          one state → action, log-prob, value; PyTorch: ~94 µs
              env-step     one CartPole-v1 / Acrobot-v1 step, random actions
                           (Gymnasium: ~4.5 µs and ~22.5 µs)
              codec        encode / decode a Batch of 2048 CartPole-v1 transitions:
                           transitions/s, wire bytes per transition (33 raw)
              collect      a worker's collection of 2048 CartPole-v1 transitions
              all          every benchmark above
              update       the learner's update of one 2048-transition rollout (10 epochs, minibatch --minibatch, 64) on 1 and
                           2 threads, for 4-64-64, 17-64-64, 17-128-128, 17-256-256 and 348-256-256 networks (not part of all)
              conv-update  one PPO minibatch-256 step of the Nature CNN over 4×84×84 frames (CleanRL's Atari agent),
                           and the frames per second a learner trains at its 4 epochs (not part of all)
              bridge       --envs K Gymnasium environments (--env gym:ID, default gym:CartPole-v1) stepped
                           through the Python bridge with random actions (not part of all: needs --python);
                           Benchmarks/bridge-throughput.sh compares it with plain Python and AsyncVectorEnv

            Each result is the median time per call over several repetitions, with the 10th–90th percentile range.
            """)

    /// The benchmarks `ppo bench` runs.
    enum Name: String, CaseIterable, ExpressibleByArgument {
        case updateStep = "update-step", act, envStep = "env-step", codec, collect, all, bridge, update
        case convUpdate = "conv-update"

        /// What `all` runs (the bridge needs a Python with Gymnasium, so it is asked for by name).
        static let everyCore: [Name] = [.updateStep, .act, .envStep, .codec, .collect]
    }

    @Argument(help: "Which benchmark to run.")
    var name: Name

    @Flag(help: "Print the results as JSON instead of a table.")
    var json = false

    @Option(help: "Repetitions (samples) per benchmark.")
    var repetitions = 30

    @Option(help: "bridge: the Gymnasium environment (gym:ID).")
    var env = "gym:CartPole-v1"

    @Option(help: "bridge: environments stepped together.")
    var envs = 8

    @Option(help: "bridge: environment steps in all.")
    var steps = 40_000

    @Option(help: "update: rows per minibatch (a divisor of the 2048-row rollout).")
    var minibatch = 64

    @OptionGroup var bridgeFlags: BridgeFlags

    func validate() throws {
        guard repetitions >= 3 else { throw ValidationError("--repetitions must be at least 3") }
        guard (1...2048).contains(minibatch), 2048 % minibatch == 0 else { throw ValidationError("--minibatch must divide 2048") }
        guard (1...4096).contains(envs), steps > 0 else { throw ValidationError("--envs must be 1–4096 and --steps positive") }
        if name == .bridge, !env.hasPrefix(EnvironmentSelection.gymPrefix) { throw ValidationError("bridge benchmarks a gym:ID environment") }
    }

    func run() throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: this is a debug build; timings are not meaningful (swift build -c release)\n".utf8))
        #endif
        let core = Kernels.configureBLAS()
        if !json { print("OpenBLAS core: \(core), 1 thread") }
        var results: [BenchResult] = []
        for benchmark in name == .all ? Name.everyCore : [name] {
            for (r, detail) in try measure(benchmark) {
                results.append(r)
                guard !json else { continue }
                print(Self.row(r))
                if let detail { print(String(format: "%24@ ", "") + detail) }
            }
        }
        if json { print(try ConsoleOutput.json(BenchReport(blasCore: core, results: results))) }
    }

    /// One benchmark's results, each with an optional second line for the table.
    func measure(_ benchmark: Name) throws -> [(BenchResult, String?)] {
        switch benchmark {
        case .updateStep: return [(CoreBenchmarks.updateStep(repetitions: repetitions), nil)]
        case .update:
            return UpdateBenchmarks.shapes.indices.flatMap { shape in
                let one = UpdateBenchmarks.rollout(shape: shape, threads: 1, minibatch: minibatch, repetitions: max(3, repetitions / 3))
                let two = UpdateBenchmarks.rollout(shape: shape, threads: 2, minibatch: minibatch, repetitions: max(3, repetitions / 3))
                return [(one, nil), (two, String(format: "%.2f× the time of one thread", two.medianMicroseconds / one.medianMicroseconds))]
            }
        case .act: return [(CoreBenchmarks.act(repetitions: repetitions), nil)]
        case .convUpdate:
            return [1, 2].map { threads in
                let r = ConvBenchmarks.updateStep(threads: threads, repetitions: max(3, repetitions / 6))
                let (rate, sgemm) = (r.extra["gflops"] ?? 0, r.extra["sgemm_gflops"] ?? 0)
                return (r, String(format: "%.0f frames/s trained at 4 epochs; %.1f GFLOP/s, %.0f %% of OpenBLAS's sgemm here (%.1f GFLOP/s)",
                                  r.extra["frames_per_second"] ?? 0, rate, 100 * rate / max(sgemm, 1e-9), sgemm))
            }
        case .envStep:
            return try ["CartPole-v1", "Acrobot-v1"].map { id in
                var r = try benchEnvStep(id: id, steps: 200_000, seed: 0)
                r.name = "env-step \(id)"
                return (r, nil)
            }
        case .codec:
            return try [CodecBenchmarks.encode(repetitions: repetitions), CodecBenchmarks.decode(repetitions: repetitions)].map { r in
                (r, String(format: "%.2f M transitions/s, %.1f wire bytes per transition (%.0f raw)",
                           (r.extra["transitions_per_second"] ?? 0) / 1e6, r.extra["wire_bytes_per_transition"] ?? 0,
                           r.extra["raw_bytes_per_transition"] ?? 0))
            }
        case .collect:
            let r = try CollectBenchmarks.collect(repetitions: repetitions)
            return [(r, String(format: "%.2f M transitions/s", (r.extra["transitions_per_second"] ?? 0) / 1e6))]
        case .bridge:
            let r = try BridgeBenchmarks.step(
                selection: EnvironmentSelection(id: env), envs: envs, steps: steps, repetitions: repetitions, bridge: bridgeFlags.options)
            return [(r, String(format: "%.0f env steps/s", r.extra["env_steps_per_second"] ?? 0))]
        case .all: return try Name.everyCore.flatMap { try measure($0) }
        }
    }

    static func row(_ r: BenchResult) -> String {
        func f(_ x: Double) -> String { String(format: x < 10 ? "%.3f" : "%.1f", x) }
        return "\(r.name.padding(toLength: 24, withPad: " ", startingAt: 0)) median \(f(r.medianMicroseconds)) µs  "
            + "(p10 \(f(r.p10Microseconds)), p90 \(f(r.p90Microseconds)), n=\(r.repetitions)×\(r.callsPerRepetition))  \(r.description)"
    }
}

/// What `ppo bench --json` prints.
struct BenchReport: Encodable {
    var blasCore: String
    var results: [BenchResult]
}

/// A failure while a command runs (after its arguments were accepted): printed as one `Error:` line.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
