import ArgumentParser
import Foundation
import PPOCore

/// `--learner-threads`: how many threads the PPO update uses, shared by `ppo train` and `ppo-learner`.
public struct LearnerThreadsFlag: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Threads of the PPO update: 1, or 2 (the actor's and the critic's passes in parallel; the same results bit for bit). Default: the machine's cores, less one when worker processes share the machine, at most 2.",
        valueName: "n"))
    public var learnerThreads: Int?

    public init() {}

    public func validate() throws {
        if let learnerThreads, !(1...PPOUpdater.maxThreads).contains(learnerThreads) {
            throw ValidationError("--learner-threads must be 1–\(PPOUpdater.maxThreads): the update splits into the actor's and the critic's passes (a split of the minibatch over more threads is not built)")
        }
    }

    /// The thread count; `sharedWithWorkers`: worker processes run on this machine too.
    public func resolve(sharedWithWorkers: Bool) -> Int {
        learnerThreads ?? min(PPOUpdater.maxThreads, max(1, ProcessInfo.processInfo.activeProcessorCount - (sharedWithWorkers ? 1 : 0)))
    }
}
