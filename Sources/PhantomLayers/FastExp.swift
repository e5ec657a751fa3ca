/// `eˣ` in Float32 without a library call, so loops that use it vectorise.
///
/// `x = n·ln2 + r` with `|r| ≤ ln2/2` (ln2 split in two parts for exactness),
/// `eʳ` by its degree-6 Taylor polynomial (relative error below 2·10⁻⁷ on that
/// interval), and `2ⁿ` built from the exponent bits. Inputs are clamped to
/// [−87.3, 88.3], where the result stays a normal finite Float.
@inline(__always)
func fastExp(_ x: Float) -> Float {
    let clamped = min(88.3, max(-87.3, x))
    let n = (clamped * 1.442_695_04).rounded(.toNearestOrEven)
    let r = clamped - n * 0.693_145_75 - n * 1.428_606_8e-6
    var p: Float = 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let scale = Float(bitPattern: UInt32(bitPattern: Int32(n) &+ 127) << 23)
    return p * scale
}
