/// Why training stopped or could not start.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The loss or the gradient stopped being finite (and the skip allowance is used up).
    case nonFinite(step: Int, loss: Double, gradientNorm: Double)
    /// A file or folder of the run could not be read or written.
    case io(path: String, reason: String)
    /// The run's settings or data do not fit together.
    case invalid(String)

    public var description: String {
        switch self {
        case let .nonFinite(step, loss, norm):
            return "step \(step): the loss (\(loss)) or gradient norm (\(norm)) is not finite. "
                + "The last checkpoint is kept; try a lower --lr, a smaller --grad-clip, or --skip-nonfinite N."
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .invalid(reason):
            return reason
        }
    }
}
