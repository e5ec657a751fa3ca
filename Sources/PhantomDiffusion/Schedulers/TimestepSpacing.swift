/// How inference timesteps are picked from the training timesteps (diffusers'
/// `timestep_spacing`; see Lin et al. 2023, table 2).
public enum TimestepSpacing: String, Sendable, CaseIterable {
    /// Multiples of `T / n` (integer division) counted up from 0, plus `steps_offset`.
    case leading
    /// `T − 1` and every `T / n` below it (real division, rounded).
    case trailing
    /// `n` values evenly spaced from 0 to `T − 1`, rounded.
    case linspace

    /// DDPM's and DDIM's `set_timesteps(count)` list, noisiest first, exactly as diffusers
    /// computes it with numpy (halves round to even). May hold values outside `0..<trainSteps`
    /// (leading spacing with a `steps_offset`): callers check.
    func timesteps(count: Int, trainSteps: Int, stepsOffset: Int) -> [Int] {
        switch self {
        case .linspace:
            return NumpyMath.linspace(0, Double(trainSteps - 1), count: count).reversed().map(NumpyMath.roundHalfEven)
        case .leading:
            let ratio = trainSteps / count
            return (0..<count).reversed().map { $0 * ratio + stepsOffset }
        case .trailing:
            return NumpyMath.arange(from: Double(trainSteps), downTo: 0, by: Double(trainSteps) / Double(count))
                .map { NumpyMath.roundHalfEven($0) - 1 }
        }
    }

    /// DPMSolverMultistepScheduler's `set_timesteps(count)` list (no `lambda_min_clipped`
    /// clipping): it spaces `count + 1` points and drops the last.
    func solverTimesteps(count: Int, trainSteps: Int, stepsOffset: Int) -> [Int] {
        switch self {
        case .linspace:
            return NumpyMath.linspace(0, Double(trainSteps - 1), count: count + 1).reversed().dropLast()
                .map(NumpyMath.roundHalfEven)
        case .leading:
            let ratio = trainSteps / (count + 1)
            return (1...count).reversed().map { $0 * ratio + stepsOffset }
        case .trailing:
            return NumpyMath.arange(from: Double(trainSteps), downTo: 0, by: Double(trainSteps) / Double(count))
                .map { NumpyMath.roundHalfEven($0) - 1 }
        }
    }
}

/// The few numpy operations the timestep lists are built from, reproduced in Double.
enum NumpyMath {
    /// `np.linspace(start, stop, count)`: `i * step + start`, the last point exactly `stop`.
    static func linspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
        guard count > 1 else { return count == 1 ? [start] : [] }
        let step = (stop - start) / Double(count - 1)
        return (0..<count).map { $0 == count - 1 ? stop : Double($0) * step + start }
    }

    /// `np.arange(start, stop, -step)` for a positive `step` and `stop < start`: length
    /// `ceil((stop − start) / −step)`, element i ≥ 2 is `start + i·((start − step) − start)`.
    static func arange(from start: Double, downTo stop: Double, by step: Double) -> [Double] {
        let length = Int(((stop - start) / -step).rounded(.up))
        guard length > 0 else { return [] }
        let delta = (start - step) - start
        return (0..<length).map { i in i == 0 ? start : i == 1 ? start - step : start + Double(i) * delta }
    }

    /// `np.round` to an integer: halves go to the even neighbour (166.5 → 166).
    static func roundHalfEven(_ value: Double) -> Int { Int(value.rounded(.toNearestOrEven)) }
}
