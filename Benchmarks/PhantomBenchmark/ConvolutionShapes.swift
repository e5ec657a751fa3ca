import PhantomLayers
import PhantomTensor

/// The 3×3 "same" convolution shapes of the benchmark configurations (input channels,
/// output channels, image size, batch), timed with im2col and both Winograd tilings: the
/// measurements behind the choice of ``Conv2d/Algorithm/automatic``; and with oneDNN's direct convolution.
let convolutionShapes: [(inChannels: Int, outChannels: Int, size: Int, batch: Int)] = [
    (32, 32, 32, 8), (64, 64, 16, 8), (64, 64, 8, 8),                     // tiny
    (64, 64, 64, 8), (128, 64, 64, 8), (128, 128, 32, 8), (256, 128, 32, 8),
    (128, 128, 16, 8), (256, 256, 8, 8), (512, 256, 8, 8),                 // small
    (32, 32, 64, 16), (64, 32, 64, 16),                                    // the shipped model's top level
    (64, 1, 64, 8), (32, 1, 32, 8),                                        // conv_out
]

/// One line per shape: milliseconds and effective GFLOP/s (direct-convolution FLOPs
/// over time) of the forward and the backward pass, best of five, for each algorithm.
func convolutionShapesReport() -> String {
    var lines = ["in -> out @ size, batch: forward / backward in ms (effective GFLOP/s) by im2col, Winograd F(2x2,3x3), F(4x4,3x3), oneDNN direct and Winograd"]
    for shape in convolutionShapes {
        var line = "\(shape.inChannels) -> \(shape.outChannels) @ \(shape.size), b\(shape.batch):"
        for algorithm in [Conv2d.Algorithm.im2col, .winogradF2, .winogradF4, .direct, .oneDNNWinograd] {
            // Outputs go back to the pool as in the model, so steady passes time compute only,
            // not allocation and zero-fill.
            let workspace = Workspace()
            let conv = Conv2d(inChannels: shape.inChannels, outChannels: shape.outChannels, kernel: 3, padding: 1,
                              workspace: workspace)
            conv.algorithm = algorithm
            RandomStream(seed: 1).fillGaussian(conv.weight.value.data, count: conv.weight.value.count)
            let x = Tensor(zeros: [shape.batch, shape.inChannels, shape.size, shape.size])
            let dy = Tensor(zeros: [shape.batch, shape.outChannels, shape.size, shape.size])
            RandomStream(seed: 2).fillGaussian(x.data, count: x.count)
            RandomStream(seed: 3).fillGaussian(dy.data, count: dy.count)
            workspace.pool.give(conv.forward(x))
            workspace.pool.give(conv.backward(dy))
            var forward = Double.infinity, backward = Double.infinity
            for _ in 0..<5 {
                var start = now()
                let y = conv.forward(x)
                forward = min(forward, now() - start)
                workspace.pool.give(y)
                start = now()
                let dx = conv.backward(dy)
                backward = min(backward, now() - start)
                workspace.pool.give(dx)
            }
            let flops = 2.0 * Double(shape.batch * shape.inChannels * shape.outChannels * 9 * shape.size * shape.size)
            line += String(format: "  %@ %.2f (%.0f) / %.2f (%.0f)", label(algorithm),
                           forward * 1e3, flops / forward / 1e9, backward * 1e3, 2 * flops / backward / 1e9)
        }
        lines.append(line)
    }
    return lines.joined(separator: "\n")
}

private func label(_ algorithm: Conv2d.Algorithm) -> String {
    switch algorithm {
    case .im2col: "im2col"
    case .winogradF2: "| F2"
    case .winogradF4: "| F4"
    case .direct: "| direct"
    case .oneDNNWinograd: "| oneDNN Winograd"
    case .automatic: "| automatic"
    }
}
