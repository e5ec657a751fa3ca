/// The shapes of a 2-D convolution over one image and the index maps between
/// the image and its column matrix (im2col).
public struct ConvGeometry: Hashable, Sendable {
    public let channels: Int, height: Int, width: Int
    public let kernel: Int, stride: Int
    /// Zero padding on each side; top/left and bottom/right may differ
    /// (diffusers' `downsample_padding = 0` pads only right and bottom).
    public let padTop: Int, padLeft: Int, padBottom: Int, padRight: Int

    public init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int,
                padTop: Int, padLeft: Int, padBottom: Int, padRight: Int) {
        (self.channels, self.height, self.width, self.kernel, self.stride) = (channels, height, width, kernel, stride)
        (self.padTop, self.padLeft, self.padBottom, self.padRight) = (padTop, padLeft, padBottom, padRight)
    }

    /// Output height and width.
    public var outHeight: Int { (height + padTop + padBottom - kernel) / stride + 1 }
    public var outWidth: Int { (width + padLeft + padRight - kernel) / stride + 1 }
    /// Rows of the column matrix: channels × kernel × kernel.
    public var columnRows: Int { channels * kernel * kernel }
    /// Columns of the column matrix: output pixels.
    public var columnCount: Int { outHeight * outWidth }
    /// A 1×1 stride-1 unpadded convolution, whose column matrix is the image itself.
    public var isPointwise: Bool {
        kernel == 1 && stride == 1 && padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0
    }

    /// Writes the column matrix of `image` (`channels×height×width`) into `columns`
    /// (`columnRows × columnCount`, row-major), zeros where the kernel reads padding.
    public func im2col(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        let outH = outHeight, outW = outWidth
        var row = columns
        for channel in 0..<channels {
            let plane = image + channel * height * width
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    for oy in 0..<outH {
                        let iy = oy * stride + ky - padTop
                        let line = row + oy * outW
                        if iy < 0 || iy >= height {
                            line.update(repeating: 0, count: outW)
                            continue
                        }
                        let source = plane + iy * width
                        if stride == 1 {
                            // ix = ox + kx - padLeft; valid ox form one contiguous run.
                            let shift = kx - padLeft
                            let first = max(0, -shift), last = min(outW, width - shift)
                            if first > 0 { line.update(repeating: 0, count: first) }
                            if last > first { (line + first).update(from: source + first + shift, count: last - first) }
                            if last < outW { (line + max(last, first)).update(repeating: 0, count: outW - max(last, first)) }
                        } else {
                            for ox in 0..<outW {
                                let ix = ox * stride + kx - padLeft
                                line[ox] = (ix >= 0 && ix < width) ? source[ix] : 0
                            }
                        }
                    }
                    row += outH * outW
                }
            }
        }
    }

    /// Adds the column-matrix gradient `columns` back onto the image gradient
    /// `image` (the adjoint of ``im2col(_:into:)``). `image` must be zeroed first
    /// or hold gradient to accumulate onto.
    public func col2imAdd(_ columns: UnsafePointer<Float>, into image: UnsafeMutablePointer<Float>) {
        let outH = outHeight, outW = outWidth
        var row = columns
        for channel in 0..<channels {
            let plane = image + channel * height * width
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    for oy in 0..<outH {
                        let iy = oy * stride + ky - padTop
                        if iy < 0 || iy >= height { continue }
                        let line = row + oy * outW
                        let target = plane + iy * width
                        if stride == 1 {
                            let shift = kx - padLeft
                            let first = max(0, -shift), last = min(outW, width - shift)
                            var ox = first
                            while ox < last {
                                target[ox + shift] += line[ox]
                                ox += 1
                            }
                        } else {
                            for ox in 0..<outW {
                                let ix = ox * stride + kx - padLeft
                                if ix >= 0 && ix < width { target[ix] += line[ox] }
                            }
                        }
                    }
                    row += outH * outW
                }
            }
        }
    }
}
