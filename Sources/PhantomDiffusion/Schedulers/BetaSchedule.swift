import Foundation

/// How the per-step noise variances β₁…β_T are laid out (diffusers' `beta_schedule`).
public enum BetaSchedule: String, Sendable, CaseIterable {
    /// β evenly spaced from `beta_start` to `beta_end`.
    case linear
    /// √β evenly spaced from √`beta_start` to √`beta_end` (Stable Diffusion's schedule).
    case scaledLinear = "scaled_linear"
    /// The cosine schedule of Nichol & Dhariwal (2021), β capped at 0.999; ignores `beta_start`/`beta_end`.
    case squaredcosCapV2 = "squaredcos_cap_v2"
    /// `sigmoid(linspace(-6, 6))` rescaled to [`beta_start`, `beta_end`] (DDPM only in diffusers).
    case sigmoid

    /// The `count` betas, rounded to Float32 the way diffusers (PyTorch) computes them.
    ///
    /// - Complexity: O(`count`).
    /// - Precondition: `count >= 2`.
    public func betas(count: Int, start: Double, end: Double) -> [Float] {
        precondition(count >= 2, "a beta schedule needs at least 2 timesteps, not \(count)")
        switch self {
        case .linear:
            return Self.float32Linspace(start, end, count: count)
        case .scaledLinear:
            return Self.float32Linspace(start.squareRoot(), end.squareRoot(), count: count).map { $0 * $0 }
        case .squaredcosCapV2:
            func alphaBar(_ t: Double) -> Double {
                let c = cos((t + 0.008) / 1.008 * Double.pi / 2)
                return c * c
            }
            return (0..<count).map { i in
                let t1 = Double(i) / Double(count), t2 = Double(i + 1) / Double(count)
                return Float(min(1 - alphaBar(t2) / alphaBar(t1), 0.999))
            }
        case .sigmoid:
            let scale = Float(end - start), offset = Float(start)
            return Self.float32Linspace(-6, 6, count: count).map { x in
                (1 / (1 + exp(-x))) * scale + offset
            }
        }
    }

    /// `torch.linspace(start, end, count, dtype=float32)` on the CPU, bit for bit: the
    /// step is computed in Float32, the first half counts up from `start` and the second
    /// half down from `end`, each value rounded once (a fused multiply-add).
    static func float32Linspace(_ start: Double, _ end: Double, count: Int) -> [Float] {
        let first = Float(start), last = Float(end)
        let step = (last - first) / Float(count - 1)
        let half = count / 2
        return (0..<count).map { i in
            i < half ? first.addingProduct(step, Float(i)) : last.addingProduct(-step, Float(count - 1 - i))
        }
    }
}
