import Foundation
import Learner
import Training

/// A `RunStatus` as plain-text tables for a terminal (`ppo status`).
enum StatusTable {
    static func render(_ s: RunStatus) -> String {
        let r = s.run
        var out = ["\(r.env) · run \(r.runID) · preset \(r.preset) · seed \(r.seed) · \(r.state)"]
        out.append("version \(r.policyVersion) · update \(r.updates)/\(r.totalUpdates) · \(r.envSteps)/\(r.totalEnvSteps) env steps · \(number(r.stepsPerSecond)) steps/s · elapsed \(duration(r.elapsedSeconds))\(r.etaSeconds.map { " · \(duration($0)) to go" } ?? "")")
        out.append("episodes \(r.episodes) · mean return (last 20) \(r.recentReturn.map { String(format: "%.1f", $0) } ?? "–") · grants open \(s.grants.open) · checkpoints \(s.checkpoints.written)\(s.checkpoints.failures > 0 ? " (\(s.checkpoints.failures) failed)" : "")")
        if let e = s.evaluation { out.append(evaluationLine(e)) }
        out.append("")
        let updates = s.recentUpdates.suffix(5).map { u in
            ["\(u.update)", "\(u.envSteps)", f(u.policyLoss), f(u.valueLoss), f(u.entropy), f(u.approxKL), f(u.clipFraction), String(format: "%.3f", u.seconds)]
        }
        out.append(table(["update", "env steps", "policy loss", "value loss", "entropy", "approx KL", "clip frac", "seconds"], updates))
        out.append("")
        let workers = s.workers.map { w in
            [w.id, w.state, w.address, "\(w.envs)", "\(w.transitions)", number(w.stepsPerSecond), "\(w.openGrants)",
             w.secondsSinceSeen < 1 ? "now" : "\(duration(w.secondsSinceSeen)) ago", "\(w.reconnects)"]
        }
        out.append(table(["worker", "state", "address", "envs", "transitions", "steps/s", "grants", "last seen", "reconnects"], workers))
        let refusals = s.refusals.framesRejected.filter { $0.value > 0 }.map { "\($0.key) \($0.value)" }
            + s.refusals.transitionsDropped.filter { $0.value > 0 }.map { "dropped \($0.key) \($0.value)" }
        out.append("")
        out.append("refusals: \(refusals.isEmpty ? "none" : refusals.sorted().joined(separator: ", "))")
        return out.joined(separator: "\n")
    }

    /// The greedy evaluations while training: the latest and the best.
    static func evaluationLine(_ e: RunStatus.Evaluations) -> String {
        func point(_ p: EvaluationPoint?) -> String {
            p.map { String(format: "%.1f ± %.1f after update %d", $0.mean, $0.std, $0.update) } ?? "none yet"
        }
        return "greedy evaluation every \(e.every) updates (\(e.episodes) episodes): latest \(point(e.points.last)) · best \(point(e.best))"
            + (e.target.map { String(format: " · stops at %.1f", $0) } ?? "")
    }

    /// Columns padded to their widest cell; the first column left-aligned, the others right-aligned.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        guard !rows.isEmpty else { return header.joined(separator: "  ") + "\n(none)" }
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "–" }
    static func number(_ x: Double) -> String { String(format: "%.0f", x) }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600) h \(s % 3600 / 60) min" : s >= 60 ? "\(s / 60) min \(s % 60) s" : "\(s) s"
    }
}
