/// The tile transforms of Winograd's F(2×2, 3×3) minimal filtering algorithm.
///
/// A 3×3 convolution of a 4×4 input tile `d` with a kernel `g` gives a 2×2 output tile
/// `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`: 16 multiplications instead of 36. With
/// `Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]`, `G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]`
/// and `Aᵀ = [1 1 1 0; 0 1 −1 −1]`. Summed over input channels, each of the 16
/// positions ξ of the transformed tile is one matrix product (see ``WinogradConvolution``).
///
/// Transformed tensors are laid out `[ξ][channel][column]`: `column` runs over the
/// tiles of the images of a group, row by row, image after image; `xiStride` is the
/// distance between two positions ξ.
enum WinogradTransforms {
    /// Tiles of a `height × width` plane: 2×2 output pixels each.
    static func tiles(height: Int, width: Int) -> (rows: Int, columns: Int) {
        ((height + 1) / 2, (width + 1) / 2)
    }

    /// Floats of scratch one worker needs for the plane transforms of a `height × width` image.
    static func scratchCount(height: Int, width: Int) -> Int {
        let (rows, columns) = tiles(height: height, width: width)
        return (2 * rows + 2) * (2 * columns + 2) + 4 * (2 * columns + 2)
    }

    /// `U = G g Gᵀ` for the kernels `g` numbered `range` (of `pairs`) of `weights`
    /// `[out][in][3][3]`, into `u` `[16][out][in]`.
    static func transformKernels(_ weights: UnsafePointer<Float>, pairs: Int, range: Range<Int>,
                                 into u: UnsafeMutablePointer<Float>) {
        for pair in range {
            let g = weights + pair * 9, target = u + pair
            // G g has rows g₀, ½(g₀+g₁+g₂), ½(g₀−g₁+g₂), g₂ (gᵢ: row i of g); each times Gᵀ.
            kernelRow(g[0], g[1], g[2], into: target, pairs)
            kernelRow(0.5 * (g[0] + g[3] + g[6]), 0.5 * (g[1] + g[4] + g[7]), 0.5 * (g[2] + g[5] + g[8]),
                      into: target + 4 * pairs, pairs)
            kernelRow(0.5 * (g[0] - g[3] + g[6]), 0.5 * (g[1] - g[4] + g[7]), 0.5 * (g[2] - g[5] + g[8]),
                      into: target + 8 * pairs, pairs)
            kernelRow(g[6], g[7], g[8], into: target + 12 * pairs, pairs)
        }
    }

    /// One row `(h₀, h₁, h₂)` of `G g` times `Gᵀ`: four positions, `stride` apart.
    @inline(__always)
    private static func kernelRow(_ h0: Float, _ h1: Float, _ h2: Float,
                                  into target: UnsafeMutablePointer<Float>, _ stride: Int) {
        target[0] = h0
        target[stride] = 0.5 * (h0 + h1 + h2)
        target[2 * stride] = 0.5 * (h0 - h1 + h2)
        target[3 * stride] = h2
    }

    /// Adds `Gᵀ dU G` (the adjoint of ``transformKernels``) for the kernels numbered
    /// `range` (of `pairs`) of `du` `[16][out][in]` to `gradient` `[out][in][3][3]`.
    static func addKernelGradients(_ du: UnsafePointer<Float>, pairs: Int, range: Range<Int>,
                                   into gradient: UnsafeMutablePointer<Float>) {
        @inline(__always) func at(_ row: Int, _ column: Int, _ pair: Int) -> Float { du[(row * 4 + column) * pairs + pair] }
        for pair in range {
            // Gᵀ dU has rows d₀ + ½(d₁+d₂), ½(d₁−d₂), ½(d₁+d₂) + d₃ (dᵢ: row i of dU).
            var h = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0),
                     Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
            withUnsafeMutableBytes(of: &h) { raw in
                let rows = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                for column in 0..<4 {
                    let half = 0.5 * (at(1, column, pair) + at(2, column, pair))
                    rows[column] = at(0, column, pair) + half
                    rows[4 + column] = 0.5 * (at(1, column, pair) - at(2, column, pair))
                    rows[8 + column] = half + at(3, column, pair)
                }
                let g = gradient + pair * 9
                for row in 0..<3 {   // (Gᵀ dU) G
                    let v = rows + row * 4, half = 0.5 * (v[1] + v[2])
                    g[row * 3] += v[0] + half
                    g[row * 3 + 1] += 0.5 * (v[1] - v[2])
                    g[row * 3 + 2] += half + v[3]
                }
            }
        }
    }

    /// `V = Bᵀ d B` for every tile `d` of one `height × width` plane (zero padding of one
    /// pixel around it), written to `v[ξ·xiStride + tile]`.
    static func transformInput(_ plane: UnsafePointer<Float>, height: Int, width: Int,
                               into v: UnsafeMutablePointer<Float>, xiStride: Int,
                               scratch: UnsafeMutablePointer<Float>) {
        let (tileRows, tileColumns) = tiles(height: height, width: width)
        let paddedWidth = 2 * tileColumns + 2, paddedHeight = 2 * tileRows + 2
        let padded = scratch, lines = scratch + paddedWidth * paddedHeight
        padded.update(repeating: 0, count: paddedWidth * paddedHeight)
        for y in 0..<height {
            (padded + (y + 1) * paddedWidth + 1).update(from: plane + y * width, count: width)
        }
        for tileRow in 0..<tileRows {
            let r0 = padded + 2 * tileRow * paddedWidth, r1 = r0 + paddedWidth
            let r2 = r1 + paddedWidth, r3 = r2 + paddedWidth
            let t0 = lines, t1 = t0 + paddedWidth, t2 = t1 + paddedWidth, t3 = t2 + paddedWidth
            for x in 0..<paddedWidth {   // Bᵀ d: the four rows
                t0[x] = r0[x] - r2[x]
                t1[x] = r1[x] + r2[x]
                t2[x] = r2[x] - r1[x]
                t3[x] = r1[x] - r3[x]
            }
            let first = v + tileRow * tileColumns
            for row in 0..<4 {   // (Bᵀ d) B: the four columns
                inputColumns(lines + row * paddedWidth, tiles: tileColumns, into: first + row * 4 * xiStride, xiStride)
            }
        }
    }

    /// `A dY Aᵀ` for every 2×2 tile `dY` of one `height × width` output-gradient plane
    /// (the adjoint of ``transformOutput``), written to `dm[ξ·xiStride + tile]`.
    static func transformOutputGradient(_ plane: UnsafePointer<Float>, height: Int, width: Int,
                                        into dm: UnsafeMutablePointer<Float>, xiStride: Int,
                                        scratch: UnsafeMutablePointer<Float>) {
        let (tileRows, tileColumns) = tiles(height: height, width: width)
        let paddedWidth = 2 * tileColumns
        let padded = scratch, lines = scratch + paddedWidth * 2 * tileRows
        if paddedWidth != width || 2 * tileRows != height {
            padded.update(repeating: 0, count: paddedWidth * 2 * tileRows)
        }
        for y in 0..<height {
            (padded + y * paddedWidth).update(from: plane + y * width, count: width)
        }
        for tileRow in 0..<tileRows {
            let y0 = padded + 2 * tileRow * paddedWidth, y1 = y0 + paddedWidth
            let t0 = lines, t1 = lines + paddedWidth, t2 = t1 + paddedWidth, t3 = t2 + paddedWidth
            for x in 0..<paddedWidth {   // A dY: the four rows
                t0[x] = y0[x]
                t1[x] = y0[x] + y1[x]
                t2[x] = y0[x] - y1[x]
                t3[x] = -y1[x]
            }
            let first = dm + tileRow * tileColumns
            for row in 0..<4 {   // (A dY) Aᵀ: the four columns
                gradientColumns(lines + row * paddedWidth, tiles: tileColumns, into: first + row * 4 * xiStride, xiStride)
            }
        }
    }

    /// `Y = Aᵀ M A` for every tile of one output plane from `m[ξ·xiStride + tile]`,
    /// plus `bias`, written to the `height × width` plane `output`.
    static func transformOutput(_ m: UnsafePointer<Float>, xiStride: Int, bias: Float,
                                into output: UnsafeMutablePointer<Float>, height: Int, width: Int,
                                scratch: UnsafeMutablePointer<Float>) {
        let (tileRows, tileColumns) = tiles(height: height, width: width)
        let paddedWidth = 2 * tileColumns
        let exact = paddedWidth == width && 2 * tileRows == height
        let target = exact ? output : scratch
        let sums = scratch + paddedWidth * 2 * tileRows
        for tileRow in 0..<tileRows {
            let first = tileRow * tileColumns
            for column in 0..<4 {   // Aᵀ M: rows 0 (sums[0…3]) and 1 (sums[4…7])
                let m0 = m + column * xiStride + first, m1 = m0 + 4 * xiStride
                let m2 = m1 + 4 * xiStride, m3 = m2 + 4 * xiStride
                let top = sums + column * tileColumns, bottom = sums + (4 + column) * tileColumns
                for tile in 0..<tileColumns {
                    top[tile] = m0[tile] + m1[tile] + m2[tile]
                    bottom[tile] = m1[tile] - m2[tile] - m3[tile]
                }
            }
            let line = target + 2 * tileRow * paddedWidth
            outputColumns(sums, tiles: tileColumns, bias: bias, into: line)   // (Aᵀ M) A
            outputColumns(sums + 4 * tileColumns, tiles: tileColumns, bias: bias, into: line + paddedWidth)
        }
        if !exact {
            for y in 0..<height { (output + y * width).update(from: scratch + y * paddedWidth, count: width) }
        }
    }

    /// Row `line` of `Bᵀ d` for a row of tiles, times `B`: four values per tile.
    @inline(__always)
    private static func inputColumns(_ line: UnsafePointer<Float>, tiles: Int,
                                     into out: UnsafeMutablePointer<Float>, _ xiStride: Int) {
        let out1 = out + xiStride, out2 = out1 + xiStride, out3 = out2 + xiStride
        for tile in 0..<tiles {
            let d0 = line[2 * tile], d1 = line[2 * tile + 1], d2 = line[2 * tile + 2], d3 = line[2 * tile + 3]
            out[tile] = d0 - d2
            out1[tile] = d1 + d2
            out2[tile] = d2 - d1
            out3[tile] = d1 - d3
        }
    }

    /// Row `line` of `A dY` for a row of tiles, times `Aᵀ`: four values per tile.
    @inline(__always)
    private static func gradientColumns(_ line: UnsafePointer<Float>, tiles: Int,
                                        into out: UnsafeMutablePointer<Float>, _ xiStride: Int) {
        let out1 = out + xiStride, out2 = out1 + xiStride, out3 = out2 + xiStride
        for tile in 0..<tiles {
            let u0 = line[2 * tile], u1 = line[2 * tile + 1]
            out[tile] = u0
            out1[tile] = u0 + u1
            out2[tile] = u0 - u1
            out3[tile] = -u1
        }
    }

    /// One output row from a row of `Aᵀ M` (`sums[column·tiles + tile]`), times `A`, plus `bias`.
    @inline(__always)
    private static func outputColumns(_ sums: UnsafePointer<Float>, tiles: Int, bias: Float,
                                      into line: UnsafeMutablePointer<Float>) {
        let c0 = sums, c1 = sums + tiles, c2 = c1 + tiles, c3 = c2 + tiles
        for tile in 0..<tiles {
            line[2 * tile] = c0[tile] + c1[tile] + c2[tile] + bias
            line[2 * tile + 1] = c1[tile] - c2[tile] - c3[tile] + bias
        }
    }
}
