import Foundation
import PhantomTensor

/// The AdamW optimizer with the semantics of `torch.optim.AdamW` (its CPU
/// single-tensor path), for a fixed list of named parameters.
///
/// Each ``step()`` increments ``stepCount`` to `t` and updates every element as
/// torch does, in Float32 with the scalars computed in Double:
/// ```
/// p ← p · (1 − lr·wd)                         decoupled weight decay, first
/// m ← m + (1 − β₁)(g − m)                     exp_avg (torch's lerp, one fused multiply-add)
/// v ← v·β₂ + (1 − β₂)·g·g                     exp_avg_sq (torch's addcmul, fused)
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
/// Every operation rounds as in torch 2.13 on x86-64 CPUs: the moments match
/// PyTorch's bit for bit, and so do the parameters except about one element in a
/// thousand that differs by 1 ulp, because torch's CPU `sqrt` (MKL) is not always
/// correctly rounded.
/// The state is `m`, `v` (per parameter, see ``stateTensors``) and ``stepCount``;
/// restoring all three resumes a run bit for bit. The update is element-wise and
/// split into fixed chunks, so results do not depend on the worker count.
public final class AdamW {
    /// The step size; set it before each step to follow a learning-rate schedule.
    public var learningRate: Double
    /// The decay of the first-moment average (torch's `betas[0]`).
    public var beta1: Double
    /// The decay of the second-moment average (torch's `betas[1]`).
    public var beta2: Double
    /// Added to the denominator for numerical stability.
    public var epsilon: Double
    /// The decoupled weight-decay coefficient (multiplied by the learning rate).
    public var weightDecay: Double
    /// The number of steps taken so far (torch's `state["step"]`, the `t` of the bias corrections).
    public var stepCount = 0
    /// The parameters this optimizer updates, with the names their state is saved under.
    public let parameters: [(name: String, parameter: Parameter)]

    private let firstMoments: [Tensor]
    private let secondMoments: [Tensor]
    private let chunks: [ElementChunk]

    /// An optimizer for `parameters` with zeroed moments. The defaults are torch's;
    /// diffusers' `train_unconditional.py` uses β₁ 0.95, β₂ 0.999, wd 1e-6, ε 1e-8.
    /// - Precondition: names are unique and no parameter appears twice.
    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Double = 1e-3,
                beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 1e-2) {
        precondition(Set(parameters.map(\.name)).count == parameters.count, "duplicate parameter names")
        precondition(Set(parameters.map { ObjectIdentifier($0.parameter) }).count == parameters.count,
                     "a parameter appears twice")
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoments = parameters.map { Tensor(zeros: $0.parameter.shape) }
        secondMoments = parameters.map { Tensor(zeros: $0.parameter.shape) }
        chunks = ElementChunk.split(parameters.map { $0.parameter.value.count })
    }

    /// An optimizer for every parameter of `module`, under its state-dict name.
    public convenience init(module: some Module, learningRate: Double = 1e-3,
                            beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 1e-2) {
        self.init(parameters: module.namedParameters, learningRate: learningRate,
                  beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
    }

    /// The moment tensors themselves (not copies), named `<parameter>.exp_avg` and
    /// `<parameter>.exp_avg_sq` as in torch's state dict, in parameter order.
    /// Save them to checkpoint the optimizer; write into them (and set ``stepCount``) to restore it.
    public var stateTensors: [(name: String, tensor: Tensor)] {
        zip(parameters, zip(firstMoments, secondMoments)).flatMap { named, moments in
            [(named.name + ".exp_avg", moments.0), (named.name + ".exp_avg_sq", moments.1)]
        }
    }

    /// Updates every parameter from its current gradient (which it leaves unchanged).
    public func step() {
        stepCount += 1
        let t = Double(stepCount)
        let decay = Float(1 - learningRate * weightDecay)
        // torch's lerp(m, g, w): fma(w, g − m, m) for w < 0.5, else fma(w − 1, g − m, g).
        let firstWeight = Float(1 - beta1)
        let lerpFromGradient = !(abs(firstWeight) < 0.5)
        let lerpWeight = lerpFromGradient ? firstWeight - 1 : firstWeight
        let secondDecay = Float(beta2)
        let secondWeight = Float(1 - beta2)
        let correctionRoot = Float(pow(1 - pow(beta2, t), 0.5))
        let negativeStepSize = Float(-(learningRate / (1 - pow(beta1, t))))
        let epsilon = Float(self.epsilon)

        Parallel.forEach(chunks.count) { index, _ in
            let chunk = chunks[index]
            let parameter = parameters[chunk.tensor].parameter
            let p = parameter.value.data, g = parameter.gradient.data
            let m = firstMoments[chunk.tensor].data, v = secondMoments[chunk.tensor].data
            for i in chunk.range {
                let gradient = g[i]
                let mean = (lerpFromGradient ? gradient : m[i]).addingProduct(lerpWeight, gradient - m[i])
                let variance = (v[i] * secondDecay).addingProduct(secondWeight * gradient, gradient)
                m[i] = mean
                v[i] = variance
                p[i] = p[i] * decay + negativeStepSize * mean / (variance.squareRoot() / correctionRoot + epsilon)
            }
        }
    }
}
