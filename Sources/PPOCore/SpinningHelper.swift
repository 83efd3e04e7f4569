import Dispatch
import Foundation
import Synchronization

/// A second thread for the learner's update that is kept awake between the two hand-offs of every minibatch.
///
/// Waking a sleeping thread costs ~40 µs on this kind of VM (DESIGN.md §13) and a minibatch step ~70 µs, so a
/// pool that sleeps between minibatches (Dispatch, Swift tasks, condition variables) costs more than it saves.
/// This thread spins on an atomic counter while work keeps coming and parks on a semaphore only after
/// `parkAfter` without any (between updates). `run` posts one job; `wait` spins until it is done (yielding now
/// and then, should the helper have been preempted by another process on a busy machine).
final class SpinningHelper: @unchecked Sendable {
    static let parkAfter = Duration.microseconds(200)

    private let posted = Atomic<Int>(0)
    private let done = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    /// The job of generation `posted`; written by `run` before the counter is released, read by the helper after
    /// it acquired it.
    private var job: (() -> Void)?

    init() {
        let thread = Thread { [self] in loop() }
        thread.name = "ppo-update-helper"
        thread.start()
    }

    /// Posts `job` to the helper thread. The previous job must have been waited for.
    func run(_ job: @escaping () -> Void) {
        self.job = job
        posted.add(1, ordering: .sequentiallyConsistent)
        if sleeping.load(ordering: .sequentiallyConsistent) { wake.signal() }
    }

    /// Returns once the last posted job has finished; its writes are visible to the caller.
    func wait() {
        let target = posted.load(ordering: .relaxed)
        var spins = 0
        while done.load(ordering: .acquiring) != target {
            spins += 1
            if spins & 0x3FF == 0 { sched_yield() }
        }
    }

    /// Ends the thread (after the job in progress).
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        run {}
    }

    private func loop() {
        var seen = 0
        while true {
            seen = awaitPost(after: seen)
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            job?()
            job = nil
            done.store(seen, ordering: .releasing)
        }
    }

    /// Spins until a generation after `seen` is posted, parking when none comes within `parkAfter`.
    private func awaitPost(after seen: Int) -> Int {
        var idleSince = ContinuousClock.now
        var spins = 0
        while true {
            let g = posted.load(ordering: .acquiring)
            if g != seen { return g }
            spins += 1
            guard spins & 0xFF == 0, ContinuousClock.now - idleSince > Self.parkAfter else { continue }
            sleeping.store(true, ordering: .sequentiallyConsistent)
            if posted.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
            sleeping.store(false, ordering: .sequentiallyConsistent)
            idleSince = ContinuousClock.now
        }
    }
}
