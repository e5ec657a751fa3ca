import Foundation

/// An in-place radix-2 discrete Fourier transform of complex Float64 data (Cooley & Tukey 1965),
/// for the PRV accountant's convolutions:
///
///     X_k = Σ_n x_n · exp(∓2πi·kn/N),   k = 0 … N − 1
///
/// with the minus sign forward; the inverse divides by N. N must be a power of two. Twiddle factors
/// are computed directly per stage (cos/sin of 2πk/N), not by recurrence, so the error stays at a
/// few ulps times log₂ N.
struct FastFourierTransform {
    /// N, a power of two.
    let count: Int
    private let cosines: [Double], sines: [Double]

    init(count: Int) {
        precondition(count > 0 && count & (count - 1) == 0, "FFT size \(count) is not a power of two")
        self.count = count
        let half = count / 2
        cosines = (0..<half).map { cos(2 * Double.pi * Double($0) / Double(count)) }
        sines = (0..<half).map { sin(2 * Double.pi * Double($0) / Double(count)) }
    }

    /// Transforms (`real`, `imaginary`) in place: forward (e^{−2πi kn/N}) or inverse (e^{+2πi kn/N},
    /// divided by N).
    func transform(real: inout [Double], imaginary: inout [Double], inverse: Bool = false) {
        precondition(real.count == count && imaginary.count == count, "FFT input of \(real.count) for size \(count)")
        // Bit-reversal permutation.
        var j = 0
        for i in 1..<max(count, 1) {
            var bit = count >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j { real.swapAt(i, j); imaginary.swapAt(i, j) }
        }
        let sign: Double = inverse ? 1 : -1
        real.withUnsafeMutableBufferPointer { realBuffer in
            imaginary.withUnsafeMutableBufferPointer { imaginaryBuffer in
                cosines.withUnsafeBufferPointer { cosineBuffer in
                    sines.withUnsafeBufferPointer { sineBuffer in
                        let re = realBuffer.baseAddress!, im = imaginaryBuffer.baseAddress!
                        let cosine = cosineBuffer.baseAddress!, sine = sineBuffer.baseAddress!
                        var length = 2
                        while length <= count {
                            let half = length / 2, stride = count / length
                            for start in Swift.stride(from: 0, to: count, by: length) {
                                for k in 0..<half {
                                    let wr = cosine[k * stride], wi = sign * sine[k * stride]
                                    let a = start + k, b = a + half
                                    let tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr
                                    re[b] = re[a] - tr; im[b] = im[a] - ti
                                    re[a] += tr; im[a] += ti
                                }
                            }
                            length *= 2
                        }
                    }
                }
            }
        }
        if inverse {
            let scale = 1 / Double(count)
            for i in 0..<count { real[i] *= scale; imaginary[i] *= scale }
        }
    }
}
