import Testing
import Wire
@testable import Learner

/// The learner's run as one state (training → stopping → ended), with no socket and no process.
@Suite("Run lifecycle (no I/O)")
struct RunLifecycleTests {
    /// A lifecycle behind an actor, so that waiters can suspend on it as the learner's do.
    actor Run {
        var lifecycle = RunLifecycle()
        func wait() async { await withCheckedContinuation { lifecycle.wait($0) } }
        func requestStop() -> Bool { lifecycle.requestStop() }
        /// Ends the run; how many waiters were resumed, or nil when it had already ended.
        func end(_ g: Goodbye) -> Int? {
            guard let waiters = lifecycle.end(g) else { return nil }
            for w in waiters { w.resume() }
            return waiters.count
        }
        func waiting() -> Int { lifecycle.waiterCount }
    }

    @Test("training → finished: Hellos get the Goodbye (the worker exits), the waiters resume, a second end changes nothing")
    func finished() async {
        let run = Run()
        let start = await run.lifecycle
        #expect(start.helloAnswer == .admit && start.label == "training")
        async let first: Void = run.wait()
        async let second: Void = run.wait()
        while await run.waiting() < 2 { await Task.yield() }
        let done = Goodbye(reason: .finished, message: "training complete")
        #expect(await run.end(done) == 2)
        _ = await (first, second)
        let ended = await run.lifecycle
        #expect(ended.label == "finished" && ended.isFinished && ended.helloAnswer == .goodbye(done))
        #expect(await run.end(Goodbye(reason: .shuttingDown, message: "late")) == nil)
        #expect(await run.lifecycle.goodbye == done)
        #expect(await run.requestStop() == false, "a finished run is not stopped")
        await run.wait()  // at once: the run has ended
    }

    @Test("training → stopping → stopped: Hellos are refused with shuttingDown (the worker retries), a second stop is refused")
    func stopped() async {
        let run = Run()
        #expect(await run.requestStop())
        let stopping = await run.lifecycle
        #expect(stopping.isStopping && stopping.label == "stopping")
        #expect(await run.requestStop() == false)
        guard case .refuse(let error) = await run.lifecycle.helloAnswer else { Issue.record("a stopping run admits"); return }
        #expect(error.code == .shuttingDown)
        #expect(await run.end(Goodbye(reason: .shuttingDown, message: "reconnect later")) == 0)
        let stopped = await run.lifecycle
        #expect(stopped.label == "stopped" && !stopped.isFinished)
        guard case .refuse = await run.lifecycle.helloAnswer else { Issue.record("a stopped run admits"); return }
    }

    @Test("a run resumed after it finished starts ended (it serves only its status)")
    func resumedFinished() {
        let l = RunLifecycle(endedWith: Goodbye(reason: .finished, message: "training complete"))
        #expect(l.hasEnded && l.isFinished && l.label == "finished" && !l.isTraining)
    }
}
