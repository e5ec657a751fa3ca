import Foundation

/// The privacy spent by a DP-SGD run, as (ε, δ)-differential privacy.
public struct PrivacySpent: Sendable, Hashable {
    /// ε: the bound on the log-ratio of any outcome's probability with and without one image,
    /// except with probability δ. +∞ when no order gives a finite bound.
    public var epsilon: Double
    /// The δ the bound was computed for.
    public var delta: Double
    /// The RDP order α whose conversion gave the smallest ε (NaN if every order's ε is NaN; 0 for
    /// an accountant with no steps, as Opacus).
    public var order: Double
    /// Whether ``order`` is the first or the last of the orders searched. Opacus warns then: the
    /// true optimum may lie outside, and more orders would give a smaller ε.
    public var orderIsAtEnd: Bool

    public init(epsilon: Double, delta: Double, order: Double, orderIsAtEnd: Bool) {
        self.epsilon = epsilon
        self.delta = delta
        self.order = order
        self.orderIsAtEnd = orderIsAtEnd
    }
}

/// The Rényi-DP accountant of DP-SGD: it composes the RDP of every step's Poisson-subsampled
/// Gaussian mechanism and converts the total to (ε, δ), in Float64, as Opacus 1.6's
/// `RDPAccountant` does, so its ε equals Opacus's to rounding (tested to 1e-9 relative).
///
/// A step samples each training image with probability q (the sample rate), clips each sampled
/// image's gradient to norm C and adds N(0, σ²C²) to their sum; σ is the noise multiplier. Its RDP
/// at order α > 1 is ``rdp(noiseMultiplier:sampleRate:steps:orders:)`` (Mironov, Talwar & Zhang
/// 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism"). RDP composes by
/// addition (Mironov 2017, "Rényi Differential Privacy", Proposition 1), so T steps at (σ, q) cost
/// T·RDP(α), and a run resumed with other settings is a list of ``Segment``s whose RDPs add.
/// The total converts to (ε, δ)-DP by Balle et al. 2020 ("Hypothesis Testing Interpretations and
/// Rényi Differential Privacy", Theorem 21; also Canonne, Kamath & Steinke 2020, Proposition 12):
///
///     ε = min_α  RDP(α) − (log δ + log α) / (α − 1) + log((α − 1) / α)
///
/// over a fixed list of orders (Opacus's by default, ``defaultOrders``).
///
/// ```swift
/// var accountant = try RDPAccountant()
/// try accountant.step(noiseMultiplier: 1.1, sampleRate: 256 / 60_000, steps: 10_000)
/// let spent = try accountant.privacySpent(delta: 1e-5)   // spent.epsilon, spent.order
/// ```
public struct RDPAccountant: Sendable, Hashable, Codable {
    /// Consecutive steps with the same noise multiplier and sample rate.
    public struct Segment: Sendable, Hashable, Codable {
        /// σ: the noise's standard deviation over the clipping norm.
        public var noiseMultiplier: Double
        /// q: the probability that a given image is in a step's batch.
        public var sampleRate: Double
        /// The number of steps.
        public var steps: Int

        /// - Throws: ``AccountingError`` unless σ > 0 is finite, 0 < q ≤ 1 and `steps` ≥ 1.
        public init(noiseMultiplier: Double, sampleRate: Double, steps: Int) throws {
            try Self.validate(noiseMultiplier: noiseMultiplier, sampleRate: sampleRate, steps: steps)
            self.noiseMultiplier = noiseMultiplier
            self.sampleRate = sampleRate
            self.steps = steps
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            try self.init(noiseMultiplier: container.decode(Double.self, forKey: .noiseMultiplier),
                          sampleRate: container.decode(Double.self, forKey: .sampleRate),
                          steps: container.decode(Int.self, forKey: .steps))
        }

        static func validate(noiseMultiplier: Double, sampleRate: Double, steps: Int) throws {
            guard noiseMultiplier > 0, noiseMultiplier.isFinite else {
                throw AccountingError("the noise multiplier must be positive and finite, got \(noiseMultiplier)")
            }
            guard sampleRate > 0, sampleRate <= 1 else {
                throw AccountingError("the sample rate must be in (0, 1], got \(sampleRate)")
            }
            guard steps >= 1 else {
                throw AccountingError("the number of steps must be at least 1, got \(steps)")
            }
        }
    }

    /// Opacus's default RDP orders: 1.1, 1.2, …, 10.9 (`1 + x / 10.0` for x in 1..<100), then the
    /// integers 12…63; 151 orders.
    public static let defaultOrders: [Double] = (1..<100).map { 1 + Double($0) / 10.0 } + (12..<64).map { Double($0) }

    /// The orders α at which RDP is tracked and ε is minimized.
    public let orders: [Double]
    /// The steps so far, oldest first. Consecutive steps with equal σ and q share a segment.
    public private(set) var segments: [Segment]

    /// An accountant with no steps.
    ///
    /// - Parameter orders: the RDP orders; each must be finite and greater than 1. Integer orders
    ///   cost O(α) each, fractional ones a series of a few to a few thousand terms.
    /// - Throws: ``AccountingError`` for an empty list or an order that is not finite and > 1.
    public init(orders: [Double] = RDPAccountant.defaultOrders) throws {
        try Self.validate(orders: orders)
        self.orders = orders
        self.segments = []
    }

    /// An accountant that has already taken `segments` (a resumed run), oldest first.
    public init(segments: [Segment], orders: [Double] = RDPAccountant.defaultOrders) throws {
        try self.init(orders: orders)
        for segment in segments {
            try step(noiseMultiplier: segment.noiseMultiplier, sampleRate: segment.sampleRate, steps: segment.steps)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(segments: container.decode([Segment].self, forKey: .segments),
                      orders: container.decode([Double].self, forKey: .orders))
    }

    /// The number of steps taken.
    public var steps: Int { segments.reduce(0) { $0 + $1.steps } }

    /// Records `steps` steps at noise multiplier σ and sample rate q (Opacus's `step`, which
    /// records one). They extend the last segment if it has the same σ and q.
    ///
    /// - Throws: ``AccountingError`` unless σ > 0 is finite, 0 < q ≤ 1 and `steps` ≥ 1.
    public mutating func step(noiseMultiplier: Double, sampleRate: Double, steps: Int = 1) throws {
        try Segment.validate(noiseMultiplier: noiseMultiplier, sampleRate: sampleRate, steps: steps)
        if let last = segments.last, last.noiseMultiplier == noiseMultiplier, last.sampleRate == sampleRate {
            segments[segments.count - 1].steps += steps
        } else {
            segments.append(try Segment(noiseMultiplier: noiseMultiplier, sampleRate: sampleRate, steps: steps))
        }
    }

    /// The total RDP at each of ``orders``: the sum over segments of steps × one step's RDP, added
    /// in segment order as Opacus's `sum([...])` does. Entries may be +∞.
    public var rdp: [Double] {
        var total = [Double](repeating: 0, count: orders.count)
        for segment in segments {
            let perSegment = Self.uncheckedRDP(noiseMultiplier: segment.noiseMultiplier,
                                               sampleRate: segment.sampleRate, steps: segment.steps, orders: orders)
            for index in total.indices {
                total[index] += perSegment[index]
            }
        }
        return total
    }

    /// The (ε, δ) guarantee of the steps so far: ε minimized over ``orders``
    /// (Opacus `RDPAccountant.get_privacy_spent`). With no steps, ε = 0 and order 0, as Opacus.
    ///
    /// - Parameter delta: δ, in (0, 1); DP-SGD usually takes δ < 1/N for N training images.
    /// - Throws: ``AccountingError`` for δ outside (0, 1).
    public func privacySpent(delta: Double) throws -> PrivacySpent {
        try Self.validate(delta: delta)
        if segments.isEmpty {
            return PrivacySpent(epsilon: 0, delta: delta, order: 0, orderIsAtEnd: false)
        }
        return Self.uncheckedPrivacySpent(orders: orders, rdp: rdp, delta: delta)
    }

    /// ε of ``privacySpent(delta:)``.
    public func epsilon(delta: Double) throws -> Double {
        try privacySpent(delta: delta).epsilon
    }

    /// The RDP of `steps` steps of the Poisson-subsampled Gaussian mechanism at each order
    /// (Opacus `compute_rdp`): steps × log A_α / (α − 1), with
    ///
    ///     A_α = E_{z~N(0,σ²)}[((1 − q) + q·exp((2z − 1)/(2σ²)))^α],
    ///
    /// summed in log space as a binomial series for integer α and as two erfc series for
    /// fractional α (Mironov, Talwar & Zhang 2019, Section 3.3). For q = 1 it is the plain Gaussian
    /// mechanism's steps·α/(2σ²).
    ///
    /// - Parameters:
    ///   - noiseMultiplier: σ > 0, the noise's standard deviation over the clipping norm.
    ///   - sampleRate: q in (0, 1], each image's probability of being in a step's batch.
    ///   - steps: the number of steps, at least 1.
    ///   - orders: the orders α, each finite and > 1.
    /// - Throws: ``AccountingError`` for an input outside those ranges.
    public static func rdp(noiseMultiplier: Double, sampleRate: Double, steps: Int = 1,
                           orders: [Double] = RDPAccountant.defaultOrders) throws -> [Double] {
        try Segment.validate(noiseMultiplier: noiseMultiplier, sampleRate: sampleRate, steps: steps)
        try validate(orders: orders)
        return uncheckedRDP(noiseMultiplier: noiseMultiplier, sampleRate: sampleRate, steps: steps, orders: orders)
    }

    /// Converts RDP values at `orders` to (ε, δ)-DP as Opacus's `get_privacy_spent` does (Balle et
    /// al. 2020, Theorem 21):
    ///
    ///     ε(α) = RDP(α) − (log δ + log α) / (α − 1) + log((α − 1) / α),   ε = min_α ε(α)
    ///
    /// The minimum skips NaN entries and takes the first of equal ones (numpy's `nanargmin`); if
    /// every entry is NaN, ε = +∞ and the order is NaN.
    ///
    /// - Throws: ``AccountingError`` if the arrays differ in length or are empty, an order is not
    ///   finite and > 1, or δ is outside (0, 1).
    public static func privacySpent(orders: [Double], rdp: [Double], delta: Double) throws -> PrivacySpent {
        try validate(orders: orders)
        guard rdp.count == orders.count else {
            throw AccountingError("\(rdp.count) RDP values for \(orders.count) orders")
        }
        try validate(delta: delta)
        return uncheckedPrivacySpent(orders: orders, rdp: rdp, delta: delta)
    }

    static func uncheckedRDP(noiseMultiplier: Double, sampleRate: Double, steps: Int, orders: [Double]) -> [Double] {
        orders.map {
            SampledGaussianRDP.rdp(sampleRate: sampleRate, noiseMultiplier: noiseMultiplier, order: $0) * Double(steps)
        }
    }

    static func uncheckedPrivacySpent(orders: [Double], rdp: [Double], delta: Double) -> PrivacySpent {
        let logDelta = log(delta)
        var best: Int?
        var bestEpsilon = Double.nan
        for (index, (order, value)) in zip(orders, rdp).enumerated() {
            let epsilon = value - (logDelta + log(order)) / (order - 1) + log((order - 1) / order)
            if epsilon.isNaN { continue }
            if best == nil || epsilon < bestEpsilon {
                best = index
                bestEpsilon = epsilon
            }
        }
        guard let best else {
            return PrivacySpent(epsilon: .infinity, delta: delta, order: .nan, orderIsAtEnd: false)
        }
        return PrivacySpent(epsilon: bestEpsilon, delta: delta, order: orders[best],
                            orderIsAtEnd: best == 0 || best == orders.count - 1)
    }

    static func validate(orders: [Double]) throws {
        guard !orders.isEmpty else { throw AccountingError("there are no RDP orders") }
        for order in orders where !(order > 1 && order.isFinite) {
            throw AccountingError("RDP orders must be finite and greater than 1, got \(order)")
        }
    }

    static func validate(delta: Double) throws {
        guard delta > 0, delta < 1 else {
            throw AccountingError("δ must be in (0, 1), got \(delta)")
        }
    }
}
