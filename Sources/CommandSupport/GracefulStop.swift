import Dispatch
import Foundation
import Logging
import Training

/// SIGINT and SIGTERM for a command that trains: the first asks the run to stop cleanly (`request`), a second
/// one quits at once. Keep the value alive for as long as the run goes (`end()` after it).
public final class GracefulStop {
    public let request = StopRequest()
    private let sources: [any DispatchSourceSignal]

    /// `message` is logged when the first signal arrives.
    public init(message: String, logger: Logger = Logger(label: "ppo")) {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let request = self.request
        sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
        for source in sources {
            source.setEventHandler {
                if request.isRequested {
                    logger.warning("second signal: quitting now, without a checkpoint")
                    exit(130)
                }
                logger.notice("\(message) (again to quit at once)")
                request.request()
            }
            source.resume()
        }
    }

    /// Stops listening for the signals. Calling it after the run also keeps the sources alive until then: an
    /// optimised build may otherwise release them early, and the signals, ignored, would do nothing at all.
    public func end() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
