/// Owns a non-Sendable value that is used by one thread at a time: the learner hands its trainer to a training
/// thread, a worker its collector to a collection thread, and neither touches the value until that thread is done.
public final class Exclusive<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
