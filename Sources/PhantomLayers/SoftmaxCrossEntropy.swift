import Foundation
import PhantomTensor

/// Softmax cross-entropy of class logits, as `torch.nn.functional.cross_entropy` with
/// mean reduction:
///
///     p[b, k] = exp(z[b, k] − max_k z[b]) / Σ_j exp(z[b, j] − max_k z[b])
///     L = −(1/B) Σ_b log p[b, y_b],     dL/dz[b, k] = (p[b, k] − 1[k = y_b]) / B
///
/// Computed in Double per row, so a row's result does not depend on the others.
public enum SoftmaxCrossEntropy {
    /// Returns the mean loss and writes `dL/dlogits` into `gradient`.
    ///
    /// - Parameters:
    ///   - logits, gradient: `[B, K]`.
    ///   - labels: `B` class indices in `0..<K`.
    public static func lossAndGradient(logits: Tensor, labels: [Int], gradient: Tensor) -> Double {
        precondition(logits.shape.count == 2 && logits.shape[0] == labels.count && gradient.shape == logits.shape,
                     "cross-entropy: logits \(logits.shape), \(labels.count) labels, gradient \(gradient.shape)")
        let rows = logits.shape[0], classes = logits.shape[1]
        var total = 0.0
        for row in 0..<rows {
            precondition((0..<classes).contains(labels[row]), "label \(labels[row]) outside 0..<\(classes)")
            let line = logits.data + row * classes
            let probabilities = softmax(line, classes: classes)
            // −log p_y = log Σ_j exp(z_j − m) − (z_y − m), finite however far apart the logits are.
            var largest = -Double.infinity
            for k in 0..<classes { largest = max(largest, Double(line[k])) }
            var sum = 0.0
            for k in 0..<classes { sum += exp(Double(line[k]) - largest) }
            total += log(sum) - (Double(line[labels[row]]) - largest)
            for k in 0..<classes {
                let indicator: Double = k == labels[row] ? 1 : 0
                gradient.data[row * classes + k] = Float((probabilities[k] - indicator) / Double(rows))
            }
        }
        return total / Double(rows)
    }

    /// The softmax of one row of `classes` logits, in Double.
    public static func softmax(_ row: UnsafePointer<Float>, classes: Int) -> [Double] {
        var largest = -Double.infinity
        for k in 0..<classes { largest = max(largest, Double(row[k])) }
        var exponentials = (0..<classes).map { exp(Double(row[$0]) - largest) }
        let sum = exponentials.reduce(0, +)
        for k in 0..<classes { exponentials[k] /= sum }
        return exponentials
    }
}
