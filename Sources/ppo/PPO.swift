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
        subcommands: [Train.self, Eval.self, Certs.self, Envs.self, PresetsCommand.self, Bench.self, FloodCommand.self])
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
              bridge       --envs K Gymnasium environments (--env gym:ID, default gym:CartPole-v1) stepped
                           through the Python bridge with random actions (not part of all: needs --python);
                           Benchmarks/bridge-throughput.sh compares it with plain Python and AsyncVectorEnv

            Each result is the median time per call over several repetitions, with the 10th–90th percentile range.
            """)

    @Argument(help: "Which benchmark to run (update-step, act, env-step, codec, collect, all, bridge).")
    var name: String

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

    @OptionGroup var bridgeFlags: BridgeFlags

    func validate() throws {
        guard Self.known.contains(name) || name == "all" || name == "bridge" else {
            throw ValidationError("unknown benchmark '\(name)'; choose one of: \((Self.known + ["all"]).joined(separator: ", "))")
        }
        guard repetitions >= 3 else { throw ValidationError("--repetitions must be at least 3") }
        guard (1...4096).contains(envs), steps > 0 else { throw ValidationError("--envs must be 1–4096 and --steps positive") }
        if name == "bridge", !env.hasPrefix(EnvironmentSelection.gymPrefix) { throw ValidationError("bridge benchmarks a gym:ID environment") }
    }

    static let known = ["update-step", "act", "env-step", "codec", "collect"]

    func run() throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: this is a debug build; timings are not meaningful (swift build -c release)\n".utf8))
        #endif
        let names = name == "all" ? Self.known : [name]
        let core = Kernels.configureBLAS()
        if !json { print("OpenBLAS core: \(core), 1 thread") }
        var results: [BenchResult] = []
        for benchmark in names {
            switch benchmark {
            case "bridge":
                let r = try BridgeBenchmarks.step(
                    selection: EnvironmentSelection(id: env), envs: envs, steps: steps, repetitions: repetitions, bridge: bridgeFlags.options)
                results.append(r)
                if !json {
                    print(Self.row(r))
                    print(String(format: "%24@ %.0f env steps/s", "", r.extra["env_steps_per_second"] ?? 0))
                }
                continue
            case "update-step": results.append(CoreBenchmarks.updateStep(repetitions: repetitions))
            case "act": results.append(CoreBenchmarks.act(repetitions: repetitions))
            case "collect":
                let r = try CollectBenchmarks.collect(repetitions: repetitions)
                results.append(r)
                if !json {
                    print(Self.row(r))
                    print(String(format: "%24@ %.2f M transitions/s", "", (r.extra["transitions_per_second"] ?? 0) / 1e6))
                }
                continue
            case "env-step":
                for id in ["CartPole-v1", "Acrobot-v1"] {
                    var r = try benchEnvStep(id: id, steps: 200_000, seed: 0)
                    r.name = "env-step \(id)"
                    results.append(r)
                    if !json { print(Self.row(r)) }
                }
                continue
            case "codec":
                for r in [try CodecBenchmarks.encode(repetitions: repetitions), try CodecBenchmarks.decode(repetitions: repetitions)] {
                    results.append(r)
                    if !json {
                        print(Self.row(r))
                        print(String(format: "%24@ %.2f M transitions/s, %.1f wire bytes per transition (%.0f raw)", "",
                                     (r.extra["transitions_per_second"] ?? 0) / 1e6, r.extra["wire_bytes_per_transition"] ?? 0,
                                     r.extra["raw_bytes_per_transition"] ?? 0))
                    }
                }
                continue
            default: break
            }
            if !json, let r = results.last { print(Self.row(r)) }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let report = BenchReport(blasCore: core, results: results)
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
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
