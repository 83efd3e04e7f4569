import Foundation
import Training

/// An ONNX model as the export builds it — a graph of standard operators with its weights inside — and its
/// serialisation to onnx.proto's `ModelProto` (field numbers from onnx/onnx.proto, IR version 8, opset 17).
public struct ONNXModel {
    /// ONNX element types (`TensorProto.DataType`).
    public enum ElementType: Int64, Sendable {
        case float = 1
        case uint8 = 2
        case int64 = 7
        case bool = 9
        case double = 11

        var byteWidth: Int {
            switch self {
            case .uint8, .bool: 1
            case .float: 4
            case .int64, .double: 8
            }
        }
    }

    /// One axis of a graph input's or output's shape: a fixed size, or a named one (the batch).
    public enum Dimension: Sendable, Equatable {
        case fixed(Int)
        case named(String)
    }

    /// A graph input or output: name, element type, shape.
    public struct Value: Sendable {
        public var name: String
        public var type: ElementType
        public var shape: [Dimension]
    }

    /// A constant tensor (weights, normaliser statistics, bounds), stored little-endian in `raw_data`.
    public struct Tensor: Sendable {
        public var name: String
        public var type: ElementType
        public var dims: [Int]
        public var raw: [UInt8]

        public static func floats(_ name: String, _ values: [Float], dims: [Int]) -> Tensor {
            Tensor(name: name, type: .float, dims: dims, raw: values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        }
        public static func doubles(_ name: String, _ values: [Double], dims: [Int]) -> Tensor {
            Tensor(name: name, type: .double, dims: dims, raw: values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        }
        public static func int64s(_ name: String, _ values: [Int64], dims: [Int]) -> Tensor {
            Tensor(name: name, type: .int64, dims: dims, raw: values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
        }
    }

    /// One operator application.
    public struct Node: Sendable {
        public var op: String
        public var inputs: [String]
        public var outputs: [String]
        /// Integer attributes (Gemm's transB, ArgMax's axis, Cast's to).
        public var attributes: [(name: String, value: Int64)] = []
        /// Integer-list attributes (Conv's kernel_shape and strides, Transpose's perm).
        public var listAttributes: [(name: String, values: [Int64])] = []

        public init(op: String, inputs: [String], outputs: [String], attributes: [(name: String, value: Int64)] = [],
                    listAttributes: [(name: String, values: [Int64])] = []) {
            (self.op, self.inputs, self.outputs, self.attributes, self.listAttributes) = (op, inputs, outputs, attributes, listAttributes)
        }
    }

    public static let irVersion: Int64 = 8
    public static let opset: Int64 = 17

    public var graphName: String
    public var inputs: [Value] = []
    public var outputs: [Value] = []
    public var initializers: [Tensor] = []
    public var nodes: [Node] = []
    /// `metadata_props`, written in key order.
    public var metadata: [String: String] = [:]
    public var docString = ""

    public init(graphName: String) { self.graphName = graphName }

    /// The model as `ModelProto` bytes.
    public func serialized(producerVersion: String) -> [UInt8] {
        var w = ProtobufWriter()
        w.int(1, Self.irVersion)                          // ir_version
        w.string(2, "swift-ppo")                          // producer_name
        w.string(3, producerVersion)                      // producer_version
        if !docString.isEmpty { w.string(6, docString) }  // doc_string
        w.message(7) { encodeGraph(&$0) }                 // graph
        w.message(8) { $0.int(2, Self.opset) }            // opset_import: the default domain, version 17
        for key in metadata.keys.sorted() {               // metadata_props
            w.message(14) { entry in
                entry.string(1, key)
                entry.string(2, metadata[key] ?? "")
            }
        }
        return w.bytes
    }

    private func encodeGraph(_ g: inout ProtobufWriter) {
        for (i, node) in nodes.enumerated() {
            g.message(1) { n in                           // node
                for input in node.inputs { n.string(1, input) }
                for output in node.outputs { n.string(2, output) }
                n.string(3, "\(node.op)_\(i)")
                n.string(4, node.op)
                for attribute in node.attributes {
                    n.message(5) { a in
                        a.string(1, attribute.name)
                        a.int(3, attribute.value)        // i
                        a.int(20, 2)                     // type: INT
                    }
                }
                for attribute in node.listAttributes {
                    n.message(5) { a in
                        a.string(1, attribute.name)
                        for value in attribute.values { a.int(8, value) }  // ints
                        a.int(20, 7)                     // type: INTS
                    }
                }
            }
        }
        g.string(2, graphName)
        for t in initializers {
            g.message(5) { m in                           // initializer
                if !t.dims.isEmpty { m.packedInts(1, t.dims.map(Int64.init)) }  // dims (none: a scalar)
                m.int(2, t.type.rawValue)
                m.string(8, t.name)
                m.bytes(9, t.raw)                         // raw_data
            }
        }
        for v in inputs { g.message(11) { Self.encodeValue(v, &$0) } }
        for v in outputs { g.message(12) { Self.encodeValue(v, &$0) } }
    }

    /// A `ValueInfoProto`: name, then `TypeProto.Tensor` with its element type and shape.
    private static func encodeValue(_ v: Value, _ w: inout ProtobufWriter) {
        w.string(1, v.name)
        w.message(2) { type in
            type.message(1) { tensor in
                tensor.int(1, v.type.rawValue)
                tensor.message(2) { shape in
                    for d in v.shape {
                        shape.message(1) { dim in
                            switch d {
                            case .fixed(let n): dim.int(1, Int64(n))
                            case .named(let name): dim.string(2, name)
                            }
                        }
                    }
                }
            }
        }
    }
}
