import ArgumentParser
import Foundation
import PolicyExport
import Training

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a trained policy as an ONNX model (opset 17) that runs with onnxruntime anywhere.",
        discussion: """
            Input: `observation`, float32 [batch, obs]: the env's raw observation
            (float64 observations cast to float32). The observation normaliser
            (running mean and variance, clip) is inside the graph. The env itself is
            not: make it with gymnasium.make(env_id, **env_args), both in the model's
            metadata with the spaces, the policy version and the config.

            Outputs:
              action   Discrete: int64 [batch], the most probable action.
                       Box: float32 [batch, D], the Gaussian mean clipped to the
                       action space's bounds (--unclipped-actions: not clipped).
              value    float32 [batch], V(s) in the units training saw: with reward
                       scaling (normalize_rewards), rewards divided by the running
                       std of the discounted return.
              logits   Discrete: float32 [batch, n], to sample from (softmax).
              mean, log_std
                       Box: float32 [batch, D] and [1, D]: a ~ N(mean, exp(log_std)²).

            Deploy/onnx_policy.py plays the model on its env with onnxruntime
            (play), and checks it against `ppo eval --record` (compare).
            """)

    @Option(help: ArgumentHelp("The checkpoint.safetensors to export, or the run's folder that holds it.", valueName: "file|dir"))
    var checkpoint: String

    @Option(help: ArgumentHelp("Where to write the model (written atomically: a failed export leaves nothing there).", valueName: "out.onnx"))
    var onnx: String

    @Flag(help: "Export the run's best evaluated policy (best.safetensors, kept by ppo train --eval-every) instead of its last checkpoint.")
    var best = false

    @Flag(help: "Box actions: make `action` the Gaussian mean as it is, instead of clipped to the action space's bounds.")
    var unclippedActions = false

    func validate() throws {
        guard !onnx.isEmpty else { throw ValidationError("--onnx needs a file name, e.g. --onnx policy.onnx") }
    }

    func run() throws {
        let source = URL(fileURLWithPath: checkpoint)
        let cp = try PeriodicEvaluation.checkpoint(named: source, best: best)
        let out = URL(fileURLWithPath: onnx)
        let size = try PolicyExport.write(cp, to: out, clipActions: !unclippedActions)
        print(String(format: "%@ (policy version %llu, %d env steps): wrote %@, %d bytes (%d parameters)",
                     cp.envID, cp.version, cp.envSteps, out.path, size, cp.parameters.reduce(0) { $0 + $1.values.count }))
    }
}
