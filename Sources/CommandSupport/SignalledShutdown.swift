import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnixSignals

/// SIGINT and SIGTERM for a command that trains, through swift-service-lifecycle: the run is the one service of a
/// `ServiceGroup` that shuts down gracefully on either signal (`onShutdown` asks it to finish the update in progress
/// and write a checkpoint); a second signal quits at once, without a checkpoint.
public enum SignalledShutdown {
    /// Runs `body` until it returns; `message` is logged when the first signal arrives.
    public static func run<T: Sendable>(
        message: String, logger: Logger = Logger(label: "ppo"), onShutdown: @escaping @Sendable () -> Void,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let run = RunService(body: body, message: message, logger: logger, onShutdown: onShutdown)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: run, successTerminationBehavior: .gracefullyShutdownGroup)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        return try run.outcome()
    }
}

/// The run as a service; keeps what it returned or threw for the caller (the group only reports that it ended).
private final class RunService<T: Sendable>: Service, Sendable {
    let body: @Sendable () async throws -> T
    let message: String
    let logger: Logger
    let onShutdown: @Sendable () -> Void
    private let result = NIOLockedValueBox<Result<T, Error>?>(nil)

    init(body: @escaping @Sendable () async throws -> T, message: String, logger: Logger, onShutdown: @escaping @Sendable () -> Void) {
        self.body = body
        self.message = message
        self.logger = logger
        self.onShutdown = onShutdown
    }

    func run() async throws {
        let (message, logger, onShutdown) = (self.message, self.logger, self.onShutdown)
        let value: Result<T, Error>
        do {
            value = .success(try await withGracefulShutdownHandler(operation: body) {
                logger.notice("\(message) (again to quit at once)")
                Task { await Self.quitOnNextSignal(logger: logger) }
                onShutdown()
            })
        } catch {
            value = .failure(error)
        }
        result.withLockedValue { $0 = value }
    }

    func outcome() throws -> T {
        guard let r = result.withLockedValue({ $0 }) else { throw CancellationError() }
        return try r.get()
    }

    /// The group stops listening after the first signal (and leaves the signals ignored): listen for the next.
    private static func quitOnNextSignal(logger: Logger) async {
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
            logger.warning("second signal: quitting now, without a checkpoint")
            exit(130)
        }
    }
}
