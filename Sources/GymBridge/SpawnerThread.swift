import Dispatch
import Foundation

/// One thread that lives as long as this process and starts every bridge process.
///
/// The bridge asks Linux to kill it when its parent ends (`PR_SET_PDEATHSIG`), so that an environment stuck
/// inside `step` does not outlive a killed worker. Linux ties that to the *thread* that started the child, and
/// Dispatch ends its threads when they idle (even the "main" queue is served by them after `dispatch_main`): a
/// bridge started from one of them would be killed at a random moment. Starting from this thread, it is not.
final class SpawnerThread: @unchecked Sendable {
    static let shared = SpawnerThread()

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [self] in
            while true {
                condition.lock()
                while jobs.isEmpty { condition.wait() }
                let job = jobs.removeFirst()
                condition.unlock()
                job()
            }
        }
        thread.name = "gym-bridge-spawner"
        thread.start()
    }

    /// Runs `body` on the spawner thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        condition.lock()
        jobs.append {
            box.value = body()
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return box.take(or: body)
    }
}

/// A result handed from the spawner thread to the caller (written before the semaphore is signalled).
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
    func take(or fallback: () -> T) -> T { value ?? fallback() }
}
