import ArgumentParser
import Foundation
import PPOCore

/// `--learner-threads`: how many threads the PPO update uses, shared by `ppo train` and `ppo-learner`.
public struct LearnerThreadsFlag: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Threads of the PPO update. 1; 2: the actor's and the critic's passes in parallel (the same results bit for bit); 3 or more: every minibatch split over that many threads and the gradients summed in a fixed order (the same results on every run with that count; one thread's up to float rounding). Default: the machine's cores, less one when worker processes share the machine, at most 2 (more threads pay only for wide networks on machines with the cores to spare: measure with `ppo bench update`).",
        valueName: "n"))
    public var learnerThreads: Int?

    public init() {}

    /// The default's ceiling: the split measured on two cores (`ppo bench update`).
    static let defaultCeiling = 2

    public func validate() throws {
        if let learnerThreads, !(1...PPOUpdater.maxThreads).contains(learnerThreads) {
            throw ValidationError("--learner-threads must be 1–\(PPOUpdater.maxThreads) (got \(learnerThreads))")
        }
    }

    /// The thread count; `sharedWithWorkers`: worker processes run on this machine too.
    public func resolve(sharedWithWorkers: Bool) -> Int {
        learnerThreads ?? min(Self.defaultCeiling, max(1, ProcessInfo.processInfo.activeProcessorCount - (sharedWithWorkers ? 1 : 0)))
    }
}
