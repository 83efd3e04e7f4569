import Foundation

/// A request to end a run early but cleanly (finish the update in progress, write a checkpoint), made from
/// another thread: a signal handler, a test.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var handlers: [@Sendable () -> Void] = []

    public init() {}

    public var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }

    /// Calls `handler` once a stop is requested (at once if it already was).
    public func onRequest(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        guard !requested else {
            lock.unlock()
            handler()
            return
        }
        handlers.append(handler)
        lock.unlock()
    }

    /// Requests the stop; later calls do nothing.
    public func request() {
        lock.lock()
        guard !requested else {
            lock.unlock()
            return
        }
        requested = true
        let pending = handlers
        handlers = []
        lock.unlock()
        for handler in pending { handler() }
    }
}
