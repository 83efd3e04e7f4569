import Foundation
import Testing
@testable import PPOCore
import TestSupport

/// `Conv2D` against the two image reference cases (the post-ReLU activations of every layer, recorded from
/// PyTorch) and against finite differences.
@Suite("Convolution", .offThePool)
struct ConvolutionTests {
    /// A layer of `case`'s `initial_params`, loaded into `parameters` (PyTorch layout, as `Conv2D` and `Linear` keep it).
    static func load(_ parameters: [Parameter], from initial: [String: Any], prefix: String) {
        for p in parameters {
            p.values = flatFloats(initial["\(prefix).\(p.name.split(separator: ".").last ?? "")"])
        }
    }

    /// The case's image batch as float32 in (B, C, H, W) order (an HWC image is permuted, as the reference does),
    /// scaled as the reference scales it unless `scaled` is false.
    static func images(_ reference: [String: Any], scaled: Bool = true) -> (values: [Float], channels: Int, height: Int, width: Int) {
        let network = reference["network"] as? [String: Any] ?? [:]
        let shape = (network["image_shape"] as? [Int]) ?? []
        let scale = scaled ? Float((network["input_scale"] as? Double) ?? 1) : 1
        let raw = flatFloats((reference["batch"] as? [String: Any])?["image"])
        guard shape.count == 3 else { return ([], 0, 0, 0) }
        if network["layout"] as? String == "CHW" {
            return (raw.map { $0 * scale }, shape[0], shape[1], shape[2])
        }
        let (h, w, c) = (shape[0], shape[1], shape[2])
        let batch = raw.count / (h * w * c)
        var chw = [Float](repeating: 0, count: raw.count)
        for b in 0..<batch {
            for y in 0..<h { for x in 0..<w { for k in 0..<c {
                chw[((b * c + k) * h + y) * w + x] = raw[((b * h + y) * w + x) * c + k] * scale
            } } }
        }
        return (chw, c, h, w)
    }

    @Test("the convolutions (and the fc layer after them) give PyTorch's post-ReLU activations, layer by layer",
          arguments: ["ppo_cnn_update_case.json", "ppo_dict_multidiscrete_case.json"])
    func referenceActivations(file: String) throws {
        let reference = try Reference.load(file)
        let network = try #require(reference["network"] as? [String: Any])
        let initial = try #require(reference["initial_params"] as? [String: Any])
        let specs = try #require(network["conv_specs"] as? [[Int]])
        let expected = try #require(((reference["expected_float32"] as? [String: Any])?["step1"] as? [String: Any])?["activations_post_relu"] as? [Any])
        let (x, channels, height, width) = Self.images(reference)
        let batch = 8
        var input = x
        var (c, h, w) = (channels, height, width)
        for (index, spec) in specs.enumerated() {
            let conv = Conv2D(inChannels: c, outChannels: spec[0], kernel: spec[1], stride: spec[2], inHeight: h, inWidth: w,
                              name: "convs.\(2 * index)")
            Self.load(conv.parameters, from: initial, prefix: "convs.\(2 * index)")
            var output = [Float](repeating: 0, count: batch * conv.outputSize)
            input.withUnsafeBufferPointer { conv.forward($0.baseAddress!, into: &output, batch: batch) }
            Kernels.reluInPlace(&output, count: output.count)
            expectClose(output, flatDoubles(expected[index]), "\(file) conv \(index)")
            (input, c, h, w) = (output, conv.outChannels, conv.outHeight, conv.outWidth)
        }
        // The fc layer over the flattened (C, H, W) features, after the vector key where there is one.
        let vectorDimension = network["vector_dim"] as? Int ?? 0
        let vector = flatFloats((reference["batch"] as? [String: Any])?["vector"])
        let features = input.count / batch
        let fc = Linear(inFeatures: features + vectorDimension, outFeatures: network["hidden"] as? Int ?? 0, name: "fc")
        Self.load(fc.parameters, from: initial, prefix: "fc")
        var joined: [Float] = []
        for b in 0..<batch {
            joined += input[(b * features)..<((b + 1) * features)]
            joined += vector.isEmpty ? [] : vector[(b * vectorDimension)..<((b + 1) * vectorDimension)]
        }
        var hidden = [Float](repeating: 0, count: batch * fc.outFeatures)
        joined.withUnsafeBufferPointer { fc.forward($0.baseAddress!, into: &hidden, batch: batch) }
        Kernels.reluInPlace(&hidden, count: hidden.count)
        expectClose(hidden, flatDoubles(expected[specs.count]), "\(file) fc")
    }

    @Test("Conv2D backward (weight, bias and input; overlapping windows of stride 2, and stride 1) against finite differences",
          arguments: [(3, 2), (2, 1)])
    func gradients(kernel: Int, stride: Int) {
        var rng = RNG(seed: 31)
        let batch = 2, channels = 3, height = 7, width = 6
        let conv = Conv2D(inChannels: channels, outChannels: 4, kernel: kernel, stride: stride, inHeight: height, inWidth: width, name: "conv")
        let input = Parameter(name: "input", shape: [batch, channels, height, width])
        for p in conv.parameters + [input] {
            for i in 0..<p.count { p.value[i] = Float(rng.uniform(-1, 1)) }
        }
        let w = (0..<(batch * conv.outputSize)).map { _ in Float(rng.uniform(-1, 1)) }
        var output = [Float](repeating: 0, count: batch * conv.outputSize)
        // L = Σ w ⊙ conv(x)
        func loss() -> Double {
            conv.forward(input.value, into: &output, batch: batch)
            return zip(w, output).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        GradientCheckTests.check(parameters: conv.parameters + [input], samples: 20, rng: &rng, what: "Conv2D k\(kernel) s\(stride)", computeGradients: {
            for p in conv.parameters + [input] { p.zeroGrad() }
            _ = loss()
            w.withUnsafeBufferPointer { conv.backward(dy: $0.baseAddress!, dx: input.grad, batch: batch) }
        }, loss: loss)
    }

    @Test("the output size is PyTorch's for no padding: floor((H − k) / s) + 1 a side")
    func geometry() {
        let nature = [Conv2D(inChannels: 4, outChannels: 32, kernel: 8, stride: 4, inHeight: 84, inWidth: 84, name: "c0"),
                      Conv2D(inChannels: 32, outChannels: 64, kernel: 4, stride: 2, inHeight: 20, inWidth: 20, name: "c1"),
                      Conv2D(inChannels: 64, outChannels: 64, kernel: 3, stride: 1, inHeight: 9, inWidth: 9, name: "c2")]
        #expect(nature.map(\.outHeight) == [20, 9, 7] && nature.map(\.outWidth) == [20, 9, 7])
        #expect(nature[2].outputSize == 3136)  // the Nature CNN's 64·7·7 features
        let uneven = Conv2D(inChannels: 1, outChannels: 1, kernel: 3, stride: 2, inHeight: 10, inWidth: 7, name: "u")
        #expect(uneven.outHeight == 4 && uneven.outWidth == 3)
    }
}
