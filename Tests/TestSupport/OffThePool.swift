// `swift build` compiles every target, and only test builds can import Testing: elsewhere this module is empty.
#if canImport(Testing)
import Foundation
import Testing

/// Runs each test of a suite on a thread of its own instead of Swift concurrency's cooperative pool.
///
/// The pool has one thread per core (two on a small CI machine). A test body that computes or waits synchronously
/// — an in-process training, a reference update, a child process's exit — holds one of them for as long as it runs,
/// and two such tests at once leave no thread for every other test's tasks: an in-process worker's heartbeats, a
/// learner's actor, a harness polling a child's status. A worker starved like that for a minute is closed by its
/// learner's idle timeout, and a test that says nothing about time fails. Suites whose tests block are marked
/// `.offThePool`: their bodies (and the child tasks they start) run on a dedicated thread, scheduled by the
/// operating system like any other, at most ``OffThePool/concurrentTests`` at once so that a test run does not
/// start every blocking test together.
public struct OffThePool: TestTrait, SuiteTrait, TestScoping {
    /// How many marked tests run at once: the cores, so that blocking tests keep the machine busy without
    /// crowding it.
    public static let concurrentTests = max(1, ProcessInfo.processInfo.activeProcessorCount)

    private static let gate = AsyncGate(width: concurrentTests)

    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // The suite's own scope runs its tests: only a test case takes a thread and a place at the gate.
        guard testCase != nil else { return try await function() }
        // Task executors need macOS 15; the package builds for macOS 14, where the test runs on the pool as before.
        guard #available(macOS 15, *) else { return try await function() }
        await Self.gate.enter()
        let thread = ThreadExecutor(name: test.name)
        var failure: (any Error)?
        do {
            try await withTaskExecutorPreference(thread) { try await function() }
        } catch {
            failure = error
        }
        thread.finish()
        await Self.gate.leave()
        if let failure { throw failure }
    }
}

extension Trait where Self == OffThePool {
    /// Runs the suite's tests on threads of their own (see ``OffThePool``).
    public static var offThePool: Self { OffThePool() }
}
#endif
