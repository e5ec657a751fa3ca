import Foundation

/// The scratch buffers of one MS-SSIM computation at a fixed image side, and the computation
/// itself (``MSSSIM`` states the formulas). One workspace per worker: it is reused for every
/// pair that worker scores, so scoring allocates nothing.
///
/// Per scale of side s (valid output side o = s − 6): the five Gaussian-filtered maps G∗x,
/// G∗y, G∗x², G∗y², G∗xy, each a separable 7-tap pass along rows (s × o) then along columns
/// (o × o): ~14·s·o multiply-adds per map.
final class MSSSIMWorkspace {
    let side: Int
    private let window: [Double]
    private let weights: [Double]
    private var x: [Double], y: [Double], product: [Double], rowPass: [Double]
    private var meanX: [Double], meanY: [Double], meanXX: [Double], meanYY: [Double], meanXY: [Double]

    init(side: Int) {
        self.side = side
        let radius = MSSSIM.windowSize / 2
        let taps = (0..<MSSSIM.windowSize).map { index -> Double in
            let offset = Double(index - radius)
            return exp(-offset * offset / (2 * MSSSIM.windowSigma * MSSSIM.windowSigma))
        }
        let total = taps.reduce(0, +)
        window = taps.map { $0 / total }
        weights = MSSSIM.weights(side: side)
        let area = side * side, valid = max(side - MSSSIM.windowSize + 1, 0)
        x = [Double](repeating: 0, count: area)
        y = [Double](repeating: 0, count: area)
        product = [Double](repeating: 0, count: area)
        rowPass = [Double](repeating: 0, count: side * valid)
        meanX = [Double](repeating: 0, count: valid * valid)
        meanY = meanX
        meanXX = meanX
        meanYY = meanX
        meanXY = meanX
    }

    /// MS-SSIM of the side×side images `a` and `b`.
    func index(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Double {
        precondition(a.count == side * side && b.count == side * side, "MS-SSIM image size")
        for t in 0..<(side * side) {
            x[t] = Double(a[t])
            y[t] = Double(b[t])
        }
        let c1 = MSSSIM.k1 * MSSSIM.k1, c2 = MSSSIM.k2 * MSSSIM.k2
        var result = 1.0
        var current = side
        for (scale, weight) in weights.enumerated() {
            let last = scale == weights.count - 1
            let valid = current - MSSSIM.windowSize + 1, count = valid * valid
            filter(x, current, into: &meanX)
            filter(y, current, into: &meanY)
            for t in 0..<(current * current) { product[t] = x[t] * x[t] }
            filter(product, current, into: &meanXX)
            for t in 0..<(current * current) { product[t] = y[t] * y[t] }
            filter(product, current, into: &meanYY)
            for t in 0..<(current * current) { product[t] = x[t] * y[t] }
            filter(product, current, into: &meanXY)
            var contrastStructure = 0.0, similarity = 0.0
            for t in 0..<count {
                let muX = meanX[t], muY = meanY[t]
                let varianceX = meanXX[t] - muX * muX, varianceY = meanYY[t] - muY * muY
                let covariance = meanXY[t] - muX * muY
                let cs = (2 * covariance + c2) / (varianceX + varianceY + c2)
                contrastStructure += cs
                if last { similarity += (2 * muX * muY + c1) / (muX * muX + muY * muY + c1) * cs }
            }
            let term = last ? similarity / Double(count) : contrastStructure / Double(count)
            result *= pow(max(term, 0), weight)
            if !last {
                averagePool(&x, current)
                averagePool(&y, current)
                current /= 2
            }
        }
        return result
    }

    /// The valid (unpadded) Gaussian filtering of the s×s `input` into the first o×o values
    /// of `output`, o = s − 6: rows first, then columns.
    private func filter(_ input: [Double], _ s: Int, into output: inout [Double]) {
        let taps = MSSSIM.windowSize, o = s - taps + 1
        input.withUnsafeBufferPointer { inputBuffer in
            rowPass.withUnsafeMutableBufferPointer { rowBuffer in
                output.withUnsafeMutableBufferPointer { outputBuffer in
                    window.withUnsafeBufferPointer { g in
                        let source = inputBuffer.baseAddress!, rows = rowBuffer.baseAddress!
                        let out = outputBuffer.baseAddress!
                        for r in 0..<s {
                            let line = source + r * s, target = rows + r * o
                            for c in 0..<o {
                                var sum = 0.0
                                for t in 0..<taps { sum += g[t] * line[c + t] }
                                target[c] = sum
                            }
                        }
                        for r in 0..<o {
                            let target = out + r * o
                            target.update(repeating: 0, count: o)
                            for t in 0..<taps {
                                let weight = g[t], line = rows + (r + t) * o
                                for c in 0..<o { target[c] += weight * line[c] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// 2×2 average pooling of the s×s image in place into its first ⌊s/2⌋² values (an odd
    /// side drops its last row and column). Each output index is below every input it still
    /// has to read, so in place is safe.
    private func averagePool(_ image: inout [Double], _ s: Int) {
        let half = s / 2
        image.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            for r in 0..<half {
                let top = p + 2 * r * s, bottom = top + s
                for c in 0..<half {
                    p[r * half + c] = 0.25 * (top[2 * c] + top[2 * c + 1] + bottom[2 * c] + bottom[2 * c + 1])
                }
            }
        }
    }
}
