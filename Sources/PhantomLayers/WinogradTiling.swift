/// A Winograd minimal-filtering algorithm F(m×m, 3×3) and its tile transforms.
///
/// A 3×3 correlation of an α×α input tile `d` (α = m + 2) with a kernel `g` gives the
/// m×m output tile `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`: α² multiplications instead of 9m².
/// Summed over input channels, each of the α² positions ξ of the transformed tile is
/// one matrix product (see ``WinogradConvolution``).
///
/// Every transform here is a sequence of linear combinations of whole contiguous rows
/// (so the loops vectorise), with de-interleaving copies between image and tile order.
/// Transformed tensors are laid out `[ξ][channel][column]`: `column` runs over the
/// tiles of a group of images, row by row, image after image; `xiStride` is the
/// distance between two positions ξ.
struct WinogradTiling: Sendable {
    /// m: output pixels per tile side.
    let outputTile: Int
    /// Bᵀ (α×α), G (α×3) and Aᵀ (m×α), row-major.
    let inputMatrix: [Float], kernelMatrix: [Float], outputMatrix: [Float]

    /// α: input pixels per tile side.
    var inputTile: Int { outputTile + 2 }
    /// α²: products per tile, the GEMMs of one convolution.
    var positions: Int { inputTile * inputTile }

    /// F(2×2, 3×3): 16 products for 4 outputs (2.25× fewer than direct), exact
    /// coefficients 0, ±½, ±1.
    static let f2 = WinogradTiling(
        outputTile: 2,
        inputMatrix: [1, 0, -1, 0,
                      0, 1, 1, 0,
                      0, -1, 1, 0,
                      0, 1, 0, -1],
        kernelMatrix: [1, 0, 0,
                       0.5, 0.5, 0.5,
                       0.5, -0.5, 0.5,
                       0, 0, 1],
        outputMatrix: [1, 1, 1, 0,
                       0, 1, -1, -1])

    /// F(4×4, 3×3) on the points 0, ±1, ±2, ∞: 36 products for 16 outputs (4× fewer).
    static let f4 = WinogradTiling(
        outputTile: 4,
        inputMatrix: [4, 0, -5, 0, 1, 0,
                      0, -4, -4, 1, 1, 0,
                      0, 4, -4, -1, 1, 0,
                      0, -2, -1, 2, 1, 0,
                      0, 2, -1, -2, 1, 0,
                      0, 4, 0, -5, 0, 1],
        kernelMatrix: [1.0 / 4, 0, 0,
                       -1.0 / 6, -1.0 / 6, -1.0 / 6,
                       -1.0 / 6, 1.0 / 6, -1.0 / 6,
                       1.0 / 24, 1.0 / 12, 1.0 / 6,
                       1.0 / 24, -1.0 / 12, 1.0 / 6,
                       0, 0, 1],
        outputMatrix: [1, 1, 1, 1, 1, 0,
                       0, 1, -1, 2, -2, 0,
                       0, 1, 1, 4, 4, 0,
                       0, 1, -1, 8, -8, 1])

    /// Tiles of a `height × width` plane.
    func tiles(height: Int, width: Int) -> (rows: Int, columns: Int) {
        ((height + outputTile - 1) / outputTile, (width + outputTile - 1) / outputTile)
    }

    /// Kernels per piece of the kernel transforms.
    static let kernelChunk = 1024

    /// Floats of scratch one worker needs for any transform of a `height × width` plane.
    func scratchCount(height: Int, width: Int) -> Int {
        let (rows, columns) = tiles(height: height, width: width)
        let m = outputTile, alpha = inputTile
        let paddedHeight = m * rows + 2, paddedWidth = m * columns + 2
        let tilesTotal = rows * columns
        let planes = paddedHeight * paddedWidth + rows * alpha * paddedWidth + alpha * alpha * tilesTotal
        let products = (m * alpha + m * m) * tilesTotal
        let kernels = Self.kernelChunk * (9 + 3 * alpha)
        return max(planes, products, kernels)
    }

    // MARK: Kernels

    /// `U = G g Gᵀ` for the kernels `g` numbered `range` (of `pairs`) of `weights`
    /// `[out][in][3][3]`, into `u` `[α²][out][in]`.
    func transformKernels(_ weights: UnsafePointer<Float>, pairs: Int, range: Range<Int>,
                          into u: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let n = range.count, alpha = inputTile
        let taps = scratch, half = scratch + 9 * n   // g as [9][n]; G g as [α][3][n]
        for i in 0..<n {
            let g = weights + (range.lowerBound + i) * 9
            for tap in 0..<9 { taps[tap * n + i] = g[tap] }
        }
        kernelMatrix.withUnsafeBufferPointer { matrix in
            let gm = matrix.baseAddress!
            for row in 0..<alpha {
                for column in 0..<3 {   // (G g)[row, column] = Σ_p G[row, p] g[p, column]
                    combine(gm + row * 3, stride: 1, terms: 3, taps + column * n, sourceStride: 3 * n,
                            count: n, into: half + (row * 3 + column) * n)
                }
            }
            for row in 0..<alpha {
                for column in 0..<alpha {   // U[row, column] = Σ_q (G g)[row, q] G[column, q]
                    combine(gm + column * 3, stride: 1, terms: 3, half + row * 3 * n, sourceStride: n,
                            count: n, into: u + (row * alpha + column) * pairs + range.lowerBound)
                }
            }
        }
    }

    /// Adds `Gᵀ dU G` (the adjoint of ``transformKernels``) for the kernels numbered
    /// `range` (of `pairs`) of `du` `[α²][out][in]` to `gradient` `[out][in][3][3]`.
    func addKernelGradients(_ du: UnsafePointer<Float>, pairs: Int, range: Range<Int>,
                            into gradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let n = range.count, alpha = inputTile
        let half = scratch, taps = scratch + 3 * alpha * n   // dU G as [α][3][n]; result as [9][n]
        kernelMatrix.withUnsafeBufferPointer { matrix in
            let gm = matrix.baseAddress!
            for row in 0..<alpha {
                for column in 0..<3 {   // (dU G)[row, column] = Σ_s dU[row, s] G[s, column]
                    combine(gm + column, stride: 3, terms: alpha, du + row * alpha * pairs + range.lowerBound,
                            sourceStride: pairs, count: n, into: half + (row * 3 + column) * n)
                }
            }
            for row in 0..<3 {
                for column in 0..<3 {   // (Gᵀ dU G)[row, column] = Σ_r G[r, row] (dU G)[r, column]
                    combine(gm + row, stride: 3, terms: alpha, half + column * n, sourceStride: 3 * n,
                            count: n, into: taps + (row * 3 + column) * n)
                }
            }
        }
        for i in 0..<n {
            let g = gradient + (range.lowerBound + i) * 9
            for tap in 0..<9 { g[tap] += taps[tap * n + i] }
        }
    }

    // MARK: Images

    /// `V = Bᵀ d B` for every tile `d` of one `height × width` plane (one pixel of zero
    /// padding around it), written to `v[ξ·xiStride + tile]`.
    func transformInput(_ plane: UnsafePointer<Float>, height: Int, width: Int,
                        into v: UnsafeMutablePointer<Float>, xiStride: Int, scratch: UnsafeMutablePointer<Float>) {
        let (tileRows, tileColumns) = tiles(height: height, width: width)
        let m = outputTile, alpha = inputTile, count = tileRows * tileColumns
        let paddedHeight = m * tileRows + 2, paddedWidth = m * tileColumns + 2
        // padded image; Bᵀ d for every tile row as [a][r][x]; the same split by tile column as [k][r][a][b].
        let padded = scratch, rows = padded + paddedHeight * paddedWidth
        let split = rows + tileRows * alpha * paddedWidth
        padded.update(repeating: 0, count: paddedHeight * paddedWidth)
        for y in 0..<height { (padded + (y + 1) * paddedWidth + 1).update(from: plane + y * width, count: width) }
        inputMatrix.withUnsafeBufferPointer { matrix in
            let bt = matrix.baseAddress!
            for tileRow in 0..<tileRows {
                for r in 0..<alpha {   // (Bᵀ d)[r, x] = Σ_k Bᵀ[r, k] d[m·a + k, x], whole padded rows
                    combine(bt + r * alpha, stride: 1, terms: alpha, padded + m * tileRow * paddedWidth,
                            sourceStride: paddedWidth, count: paddedWidth,
                            into: rows + (tileRow * alpha + r) * paddedWidth)
                }
            }
            for k in 0..<alpha {
                for r in 0..<alpha {
                    for tileRow in 0..<tileRows {
                        let source = rows + (tileRow * alpha + r) * paddedWidth + k
                        let target = split + (k * alpha + r) * count + tileRow * tileColumns
                        for b in 0..<tileColumns { target[b] = source[m * b] }
                    }
                }
            }
            for r in 0..<alpha {
                for s in 0..<alpha {   // V[r, s] = Σ_k (Bᵀ d)[r, k] Bᵀ[s, k], every tile at once
                    combine(bt + s * alpha, stride: 1, terms: alpha, split + r * count, sourceStride: alpha * count,
                            count: count, into: v + (r * alpha + s) * xiStride)
                }
            }
        }
    }

    /// `Y = Aᵀ M A` for every tile of one output plane from `m[ξ·xiStride + tile]`, plus
    /// `bias`, written to the `height × width` plane `output`.
    func transformOutput(_ products: UnsafePointer<Float>, xiStride: Int, bias: Float,
                         into output: UnsafeMutablePointer<Float>, height: Int, width: Int,
                         scratch: UnsafeMutablePointer<Float>) {
        let (tileRows, tileColumns) = tiles(height: height, width: width)
        let m = outputTile, alpha = inputTile, count = tileRows * tileColumns
        let rowsDone = scratch, done = scratch + m * alpha * count   // Aᵀ M as [m][α][tiles]; Y as [m][m][tiles]
        outputMatrix.withUnsafeBufferPointer { matrix in
            let at = matrix.baseAddress!
            for i in 0..<m {
                for s in 0..<alpha {   // (Aᵀ M)[i, s] = Σ_r Aᵀ[i, r] M[r, s]
                    combine(at + i * alpha, stride: 1, terms: alpha, products + s * xiStride,
                            sourceStride: alpha * xiStride, count: count, into: rowsDone + (i * alpha + s) * count)
                }
                for j in 0..<m {   // Y[i, j] = Σ_s (Aᵀ M)[i, s] Aᵀ[j, s]
                    combine(at + j * alpha, stride: 1, terms: alpha, rowsDone + i * alpha * count,
                            sourceStride: count, count: count, into: done + (i * m + j) * count)
                }
            }
        }
        for y in 0..<height {
            let i = y % m, tileRow = y / m, line = output + y * width
            for j in 0..<m where j < width {
                let source = done + (i * m + j) * count + tileRow * tileColumns
                var x = j, b = 0
                while x < width {
                    line[x] = source[b] + bias
                    x += m
                    b += 1
                }
            }
        }
    }

    /// `A dY Aᵀ` for every m×m tile `dY` of one `height × width` output-gradient plane (the
    /// adjoint of ``transformOutput``), written to `dm[ξ·xiStride + tile]`.
    func transformOutputGradient(_ plane: UnsafePointer<Float>, height: Int, width: Int,
                                 into dm: UnsafeMutablePointer<Float>, xiStride: Int,
                                 scratch: UnsafeMutablePointer<Float>) {
        let (tileRows, tileColumns) = tiles(height: height, width: width)
        let m = outputTile, alpha = inputTile, count = tileRows * tileColumns
        let split = scratch, mixed = scratch + m * m * count   // dY as [m][m][tiles]; dY A as [m][α][tiles]
        if height % m != 0 || width % m != 0 { split.update(repeating: 0, count: m * m * count) }
        for y in 0..<height {
            let i = y % m, tileRow = y / m, line = plane + y * width
            for j in 0..<m where j < width {
                let target = split + (i * m + j) * count + tileRow * tileColumns
                var x = j, b = 0
                while x < width {
                    target[b] = line[x]
                    x += m
                    b += 1
                }
            }
        }
        outputMatrix.withUnsafeBufferPointer { matrix in
            let at = matrix.baseAddress!
            for i in 0..<m {
                for s in 0..<alpha {   // (dY A)[i, s] = Σ_j dY[i, j] Aᵀ[j, s]
                    combine(at + s, stride: alpha, terms: m, split + i * m * count, sourceStride: count,
                            count: count, into: mixed + (i * alpha + s) * count)
                }
            }
            for r in 0..<alpha {
                for s in 0..<alpha {   // dM[r, s] = Σ_i Aᵀ[i, r] (dY A)[i, s]
                    combine(at + r, stride: alpha, terms: m, mixed + s * count, sourceStride: alpha * count,
                            count: count, into: dm + (r * alpha + s) * xiStride)
                }
            }
        }
    }
}

/// `out[x] = Σ_k c[k·stride] · sources[k·sourceStride + x]` for `x < count`, skipping
/// zero coefficients, in order of `k`: each 8 outputs summed in registers over every
/// term before they are stored (the same operations, in the same order, as one pass over
/// `out` per term).
@inline(__always)
private func combine(_ c: UnsafePointer<Float>, stride: Int, terms: Int, _ sources: UnsafePointer<Float>,
                     sourceStride: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: terms) { kept in
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: terms) { rows in
            var used = 0   // the nonzero terms: coefficients and source rows
            for k in 0..<terms where c[k * stride] != 0 {
                kept[used] = c[k * stride]
                rows[used] = sources + k * sourceStride
                used += 1
            }
            guard used > 0 else { return out.update(repeating: 0, count: count) }
            var x = 0
            while x + 8 <= count {
                var sum = kept[0] * UnsafeRawPointer(rows[0] + x).loadUnaligned(as: SIMD8<Float>.self)
                for term in 1..<used { sum += kept[term] * UnsafeRawPointer(rows[term] + x).loadUnaligned(as: SIMD8<Float>.self) }
                UnsafeMutableRawPointer(out + x).storeBytes(of: sum, as: SIMD8<Float>.self)
                x += 8
            }
            while x < count {
                var sum = kept[0] * rows[0][x]
                for term in 1..<used { sum += kept[term] * rows[term][x] }
                out[x] = sum
                x += 1
            }
        }
    }
}
