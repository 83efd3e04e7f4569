import Foundation
import PPOCore

/// What a resumed run may change: the one rule for `ppo train` and `ppo-learner`.
///
/// A resumed run continues the checkpoint's policy, Adam state and normaliser, so it keeps the hyper-parameters
/// they were trained with. `--steps` (or `total_steps`) may grow the run, and `learning_rate` may change (the
/// schedule goes on from the update reached), and so may `max_policy_lag` (how collection meets the update, not
/// something the checkpoint's state depends on). Any other setting the command names (`--set KEY=…`, or every key of
/// an explicit `--config`) must agree with the checkpoint's, or the resume is refused naming the key: silently
/// ignoring it would train something else than the user asked for.
public enum ResumeRules {
    /// The settings a resumed run takes from the command line.
    public static let changeable: Set<String> = [PPOConfig.CodingKeys.learningRate.rawValue, PPOConfig.CodingKeys.maxPolicyLag.rawValue]

    /// The run that continues `checkpoint`: its hyper-parameters, with the changeable ones the command named.
    /// `named` are the settings the command set explicitly (the `--set` keys; every key for `--config`).
    public static func resumed(_ run: RunConfiguration, from checkpoint: Checkpoint, named: Set<String>) throws(ResumeConflict) -> RunConfiguration {
        var resumed = run
        resumed.ppo = checkpoint.config
        let wanted = settings(run.ppo), saved = settings(checkpoint.config)
        var conflicts: [String] = []
        for key in named.sorted() {
            guard let want = wanted[key], let have = saved[key], want != have else { continue }
            if changeable.contains(key) { continue }
            conflicts.append("\(key) \(want) (the checkpoint's: \(have))")
        }
        guard conflicts.isEmpty else { throw ResumeConflict(settings: conflicts) }
        if named.contains(PPOConfig.CodingKeys.learningRate.rawValue) { resumed.ppo.learningRate = run.ppo.learningRate }
        if named.contains(PPOConfig.CodingKeys.maxPolicyLag.rawValue) { resumed.ppo.maxPolicyLag = run.ppo.maxPolicyLag }
        return resumed
    }

    /// Whether `checkpoint` has already done every update of `run` (a resumed `run` as `resumed` returns it), its
    /// last episodes reached the run's `stop_at_return`, or its last evaluation (in `evaluations`, the run's
    /// history) reached `stop_at_eval_return`.
    public static func isFinished(_ checkpoint: Checkpoint, run: RunConfiguration, evaluations: EvaluationHistory = EvaluationHistory()) -> Bool {
        end(of: checkpoint, run: run, evaluations: evaluations) != nil
    }

    /// How `checkpoint`'s run ended, if it did (`RunEnd`, the rule while it trained).
    static func end(of checkpoint: Checkpoint, run: RunConfiguration, evaluations: EvaluationHistory) -> RunEnd? {
        RunEnd.check(run, updates: checkpoint.updates, recent: checkpoint.recentReturns, evaluations: evaluations)
    }

    /// Why `checkpoint` has finished `run`, for the refusal to continue it.
    public static func finishedReason(_ checkpoint: Checkpoint, run: RunConfiguration, evaluations: EvaluationHistory = EvaluationHistory()) -> String {
        switch end(of: checkpoint, run: run, evaluations: evaluations) {
        case .returnTarget(let target):
            let mean = checkpoint.recentReturns.mean ?? target
            return "its last \(checkpoint.recentReturns.values.count) episodes returned \(mean) on average, which reaches --stop-at-return \(target); raise or drop --stop-at-return to train further"
        case .evaluationTarget(let target):
            let last = evaluations.latest
            return "its evaluation after update \(last?.update ?? 0) returned \(last?.mean ?? target) on average, which reaches --stop-at-eval-return \(target); raise or drop --stop-at-eval-return to train further"
        case .allUpdates, nil:
            return "\(checkpoint.updates) updates, \(checkpoint.envSteps) env steps, and --steps \(run.totalSteps) asks for no more; give a larger --steps to train further"
        }
    }

    /// Each setting as its JSON text, by its snake_case key.
    static func settings(_ config: PPOConfig) -> [String: String] {
        guard let data = try? JSONEncoder().encode(config),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var texts: [String: String] = [:]
        for (key, value) in object {
            guard let text = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) else { continue }
            texts[key] = String(decoding: text, as: UTF8.self)
        }
        return texts
    }
}

/// A resume asked for settings that differ from the checkpoint's.
public struct ResumeConflict: Error, CustomStringConvertible, Equatable {
    public var settings: [String]

    public var description: String {
        "a resumed run keeps the hyper-parameters its checkpoint was trained with, but this command asks for "
            + settings.joined(separator: ", ")
            + ". Drop those settings (only --steps and learning_rate change on resume), or start a new run in another folder."
    }
}
