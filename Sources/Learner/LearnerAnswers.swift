import Wire

/// What a worker's Hello gets from the learner: a session, a refusal (an Error frame), or the news that the run is
/// over (a Goodbye: a worker that connects after the last update exits instead of reconnecting).
enum SessionRegistration: Sendable {
    case session(Int)
    case refused(WireError)
    case ended(Goodbye)
}

/// What a connection does after the learner handled one of its messages.
enum MessageVerdict: Sendable {
    case keepOpen
    case close(WireError)
}
