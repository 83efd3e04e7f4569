import PPOCore

extension PolicyGraph {
    /// A convolutional network's nodes (`ConvolutionalActorCritic`): the image sliced out of the raw observation,
    /// reshaped to the env's axes, transposed to (B, C, H, W) when it is channels-last, scaled; each convolution
    /// (Conv, no padding) and its ReLU; the features flattened in (C, H, W) order and joined with the observation's
    /// other values (normalised when training normalised them: `features`), the shared layer and its ReLU, then the
    /// actor's and the critic's layers. The names of the actor's outputs and the critic's (B, 1).
    mutating func addConvolutional(
        image: ImageLayout, convolutions: [ConvolutionalActorCritic.Convolution], raw: String, features: String
    ) throws(PolicyExport.Failure) -> (actor: String, critic: String) {
        let end = image.offset + image.size, observationSize = checkpoint.observationSize
        let axes: [Int64] = image.channelsFirst
            ? [-1, Int64(image.channels), Int64(image.height), Int64(image.width)]
            : [-1, Int64(image.height), Int64(image.width), Int64(image.channels)]
        model.initializers += [.int64s("image_shape", axes, dims: [4]), .floats("image_scale", [image.scale], dims: [])]
        addSlice(raw, from: image.offset, to: end, output: "image_values")
        model.nodes.append(.init(op: "Reshape", inputs: ["image_values", "image_shape"], outputs: ["image_as_given"]))
        var x = "image_as_given"
        if !image.channelsFirst {
            model.nodes.append(.init(op: "Transpose", inputs: [x], outputs: ["image_planes"], listAttributes: [("perm", [0, 3, 1, 2])]))
            x = "image_planes"
        }
        model.nodes.append(.init(op: "Mul", inputs: [x, "image_scale"], outputs: ["image_scaled"]))
        x = "image_scaled"
        for (index, conv) in convolutions.enumerated() {
            let layer = "convs.\(2 * index)"
            let (weight, bias) = try addParameters(of: layer)
            model.nodes += [
                .init(op: "Conv", inputs: [x, weight, bias], outputs: ["\(layer).out"],
                      listAttributes: [("kernel_shape", [Int64(conv.kernel), Int64(conv.kernel)]), ("strides", [Int64(conv.stride), Int64(conv.stride)])]),
                .init(op: "Relu", inputs: ["\(layer).out"], outputs: ["\(layer).act"]),
            ]
            x = "\(layer).act"
        }
        model.nodes.append(.init(op: "Flatten", inputs: [x], outputs: ["image_features"], attributes: [("axis", 1)]))
        var joined = ["image_features"]
        if image.offset > 0 { addSlice(features, from: 0, to: image.offset, output: "values_before_image"); joined.append("values_before_image") }
        if end < observationSize { addSlice(features, from: end, to: observationSize, output: "values_after_image"); joined.append("values_after_image") }
        model.nodes.append(.init(op: "Concat", inputs: joined, outputs: ["joined"], attributes: [("axis", 1)]))
        let hidden = try addLinear("fc", input: "joined")
        model.nodes.append(.init(op: "Relu", inputs: [hidden], outputs: ["shared"]))
        return (try addLinear("actor", input: "shared"), try addLinear("critic", input: "shared"))
    }

    /// `input`'s columns `from..<to` (Slice on axis 1) as `output`.
    private mutating func addSlice(_ input: String, from: Int, to: Int, output: String) {
        model.initializers += [
            .int64s("\(output).starts", [Int64(from)], dims: [1]), .int64s("\(output).ends", [Int64(to)], dims: [1]),
            .int64s("\(output).axes", [1], dims: [1]),
        ]
        model.nodes.append(.init(op: "Slice", inputs: [input, "\(output).starts", "\(output).ends", "\(output).axes"], outputs: [output]))
    }

    /// The layer's weight and bias as initializers; their names.
    private mutating func addParameters(of layer: String) throws(PolicyExport.Failure) -> (weight: String, bias: String) {
        let weight = try tensor(layer + ".weight"), bias = try tensor(layer + ".bias")
        model.initializers += [.floats(weight.name, weight.values, dims: weight.shape), .floats(bias.name, bias.values, dims: bias.shape)]
        return (weight.name, bias.name)
    }

    /// A linear layer (Gemm, y = x·Wᵀ + b, PyTorch's layout); the name of its output.
    mutating func addLinear(_ layer: String, input: String) throws(PolicyExport.Failure) -> String {
        let (weight, bias) = try addParameters(of: layer)
        model.nodes.append(.init(op: "Gemm", inputs: [input, weight, bias], outputs: ["\(layer).out"], attributes: [("transB", 1)]))
        return "\(layer).out"
    }
}
