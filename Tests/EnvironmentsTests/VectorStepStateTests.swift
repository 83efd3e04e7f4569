import Testing
@testable import Environments
import TestSupport

/// The step state both vector envs keep: episode bookkeeping and the truncation rule, with no env at all.
@Suite("Vector step state", .offThePool)
struct VectorStepStateTests {
    @Test("an episode ends on terminated or truncated; it counts as truncated only when cut by the time limit alone; final rows of envs that did not end are zero")
    func episodes() {
        var s = VectorStepState(count: 3, observationSize: 2)
        for _ in 0..<2 {
            s.beginStep()
            for i in 0..<3 { s.record(env: i, reward: 1.5, terminated: false, truncated: false) }
            let ended = (0..<3).map { s.closeEpisode(env: $0) }
            #expect(ended == [false, false, false])
        }
        s.beginStep()
        s.record(env: 0, reward: 1, terminated: true, truncated: false)
        s.record(env: 1, reward: 1, terminated: false, truncated: true)
        s.record(env: 2, reward: 1, terminated: true, truncated: true)  // terminal at the limit: not a cut
        s.finalObservations = [1, 2, 3, 4, 5, 6]
        let ended = (0..<3).map { s.closeEpisode(env: $0) }
        #expect(ended == [true, true, true])
        #expect(s.finishedEpisodes == [
            FinishedEpisode(envIndex: 0, episodeReturn: 4, length: 3, truncated: false),
            FinishedEpisode(envIndex: 1, episodeReturn: 4, length: 3, truncated: true),
            FinishedEpisode(envIndex: 2, episodeReturn: 4, length: 3, truncated: false),
        ])
        #expect(s.episodeReturns == [0, 0, 0] && s.episodeLengths == [0, 0, 0])
        s.beginStep()
        s.record(env: 0, reward: 2, terminated: false, truncated: false)
        s.record(env: 1, reward: 2, terminated: false, truncated: false)
        s.record(env: 2, reward: 2, terminated: false, truncated: false)
        for i in 0..<3 { s.closeEpisode(env: i) }
        #expect(s.finishedEpisodes.isEmpty && s.finalObservations == [0, 0, 0, 0, 0, 0] && s.episodeReturns == [2, 2, 2])
        s.clearForReset()
        #expect(s.rewards == [0, 0, 0] && s.episodeLengths == [0, 0, 0] && !s.hasFinalObservation.contains(true))
    }
}
