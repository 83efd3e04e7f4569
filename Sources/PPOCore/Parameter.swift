/// A trainable tensor: a contiguous row-major `Float` buffer, its gradient, and a PyTorch-style name.
///
/// Memory is allocated once and owned by the parameter (llm.c style): layers read and write through
/// `value` / `grad` pointers, so the hot loop never allocates or copies.
public final class Parameter {
    /// The name PyTorch's `state_dict` would give it (`actor.0.weight`), used for checkpoints and references.
    public let name: String
    /// Shape in PyTorch layout (`[out, in]` for a Linear weight).
    public let shape: [Int]
    /// Number of elements.
    public let count: Int
    /// The parameter's values, `count` floats.
    public let value: UnsafeMutablePointer<Float>
    /// The gradient accumulated by the last backward pass, `count` floats.
    public let grad: UnsafeMutablePointer<Float>

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
        self.count = shape.reduce(1, *)
        value = .allocate(capacity: count)
        value.initialize(repeating: 0, count: count)
        grad = .allocate(capacity: count)
        grad.initialize(repeating: 0, count: count)
    }

    deinit {
        value.deallocate()
        grad.deallocate()
    }

    /// A copy of the values.
    public var values: [Float] {
        get { Array(UnsafeBufferPointer(start: value, count: count)) }
        set { copy(newValue, into: value, what: "values") }
    }

    /// A copy of the gradient.
    public var gradients: [Float] {
        get { Array(UnsafeBufferPointer(start: grad, count: count)) }
        set { copy(newValue, into: grad, what: "gradients") }
    }

    /// Writes `newValue` (`count` floats, `what` names them in the failure) into `storage`.
    private func copy(_ newValue: [Float], into storage: UnsafeMutablePointer<Float>, what: String) {
        precondition(newValue.count == count, "\(name): expected \(count) \(what), got \(newValue.count)")
        newValue.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            storage.update(from: base, count: count)
        }
    }

    public func zeroGrad() {
        grad.update(repeating: 0, count: count)
    }
}

/// A growable scratch buffer of floats that keeps its memory between calls (no allocation in steady state).
public final class ScratchBuffer {
    public private(set) var capacity: Int
    public private(set) var pointer: UnsafeMutablePointer<Float>

    public init(capacity: Int = 0) {
        self.capacity = max(capacity, 1)
        pointer = .allocate(capacity: self.capacity)
        pointer.initialize(repeating: 0, count: self.capacity)
    }

    deinit { pointer.deallocate() }

    /// Ensures room for `count` floats and returns the buffer; contents are unspecified after growth.
    @discardableResult
    public func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = count
            pointer = .allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
        }
        return pointer
    }
}
