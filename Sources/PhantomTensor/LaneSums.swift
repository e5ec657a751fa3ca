/// Sums over contiguous floats in eight interleaved partial sums, added up at the
/// end: vectorised, and in an order fixed by the count alone, so results do not
/// depend on threads or alignment. (A plain `for` loop sum stays scalar: the
/// compiler may not reorder floating-point additions.)
public enum LaneSums {
    /// `Σ a[i]`.
    @inline(__always)
    public static func sum(_ a: UnsafePointer<Float>, count: Int) -> Float {
        var partial = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            partial += load(a + i)
            i += 8
        }
        var total = partial.sum()
        while i < count {
            total += a[i]
            i += 1
        }
        return total
    }

    /// `Σ a[i]·b[i]`.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var partial = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            partial += load(a + i) * load(b + i)
            i += 8
        }
        var total = partial.sum()
        while i < count {
            total += a[i] * b[i]
            i += 1
        }
        return total
    }

    /// `Σ a[i]·(b[i] − center)`.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, centeredAt center: Float,
                           count: Int) -> Float {
        var partial = SIMD8<Float>()
        let shift = SIMD8<Float>(repeating: center)
        var i = 0
        while i + 8 <= count {
            partial += load(a + i) * (load(b + i) - shift)
            i += 8
        }
        var total = partial.sum()
        while i < count {
            total += a[i] * (b[i] - center)
            i += 1
        }
        return total
    }

    /// `Σ a[i]` accumulated in Double.
    @inline(__always)
    public static func sumInDouble(_ a: UnsafePointer<Float>, count: Int) -> Double {
        var partial = SIMD8<Double>()
        var i = 0
        while i + 8 <= count {
            partial += SIMD8<Double>(load(a + i))
            i += 8
        }
        var total = partial.sum()
        while i < count {
            total += Double(a[i])
            i += 1
        }
        return total
    }

    /// `Σ (a[i] − mean)²` accumulated in Double.
    @inline(__always)
    public static func squaredDeviationsInDouble(_ a: UnsafePointer<Float>, count: Int, mean: Double) -> Double {
        var partial = SIMD8<Double>()
        let center = SIMD8<Double>(repeating: mean)
        var i = 0
        while i + 8 <= count {
            let d = SIMD8<Double>(load(a + i)) - center
            partial += d * d
            i += 8
        }
        var total = partial.sum()
        while i < count {
            let d = Double(a[i]) - mean
            total += d * d
            i += 1
        }
        return total
    }

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
}
