import PPOCore
import Testing
import Training
import Wire
@testable import Learner

/// What follows an accepted batch, an update and an evaluation, with no socket, no task and no trainer.
@Suite("Update cycle (no I/O)")
struct UpdateCycleTests {
    static func weights(version: UInt64) -> Weights {
        Weights(policyVersion: version, parameters: [0.25, -1], normalizer: RunningMeanStd(mean: [0, 0], variance: [1, 1], count: 1))
    }

    static func batch(version: UInt64, steps: Int) -> TransitionBatch {
        TransitionBatch(policyVersion: version, envCount: 2, steps: steps, observationSize: 2, actionSize: 1)
    }

    @Test("an update starts when a batch completes the rollout and nothing runs; it takes the rollout with each batch's lag")
    func startsWhenFull() {
        var cycle = UpdateCycle(weights: Self.weights(version: 4))
        #expect(cycle.phase == .idle && cycle.weights.policyVersion == 4)
        #expect(cycle.collect(Self.batch(version: 4, steps: 3), rolloutComplete: false) == .wait)
        #expect(cycle.collect(Self.batch(version: 3, steps: 5), rolloutComplete: true) == .update)
        let taken = cycle.beginUpdate(trainerVersion: 4)
        #expect(cycle.phase == .updating)
        #expect(taken.batches.count == 2 && taken.transitions == 16 && taken.lags == ["0": 6, "1": 10])
        #expect(cycle.dropUnfinished() == 0, "the update took every transition")
    }

    @Test("a rollout that fills during an update or its evaluation waits; the next update starts after the evaluation")
    func fullRolloutWaits() {
        var cycle = UpdateCycle(weights: Self.weights(version: 4))
        _ = cycle.beginUpdate(trainerVersion: 4)
        #expect(cycle.collect(Self.batch(version: 4, steps: 8), rolloutComplete: true) == .wait, "an update runs")
        let new = Self.weights(version: 5)
        cycle.updated(new, frame: Frame.encode(.weights(new)), evaluating: true)
        #expect(cycle.phase == .evaluating && cycle.weights == new)
        #expect(cycle.next(runEnd: nil, rolloutComplete: true, training: true) == .wait, "the evaluation runs")
        #expect(cycle.collect(Self.batch(version: 5, steps: 8), rolloutComplete: true) == .wait)
        cycle.evaluated()
        #expect(cycle.next(runEnd: nil, rolloutComplete: true, training: true) == .update)
        #expect(cycle.next(runEnd: nil, rolloutComplete: false, training: true) == .wait)
    }

    @Test("after an update: the run's end comes first; a stopping run trains no full rollout and drops its transitions")
    func endAndStop() {
        var cycle = UpdateCycle(weights: Self.weights(version: 1))
        _ = cycle.beginUpdate(trainerVersion: 1)
        #expect(cycle.collect(Self.batch(version: 1, steps: 4), rolloutComplete: true) == .wait)
        let new = Self.weights(version: 2)
        cycle.updated(new, frame: Frame.encode(.weights(new)), evaluating: false)
        #expect(cycle.next(runEnd: .evaluationTarget(500), rolloutComplete: true, training: true) == .end(.evaluationTarget(500)))
        #expect(cycle.next(runEnd: .allUpdates, rolloutComplete: false, training: false) == .end(.allUpdates))
        #expect(cycle.next(runEnd: nil, rolloutComplete: true, training: false) == .wait, "stopping: not trained")
        #expect(cycle.dropUnfinished() == 8 && cycle.dropUnfinished() == 0)
    }
}
