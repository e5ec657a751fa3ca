/// Gathers equally sized images into one contiguous sample array.
///
/// Samples stay 8-bit until the first 16-bit image arrives; from then on the store is
/// 16-bit and every 8-bit image (earlier or later) is scaled by 257, which maps 255 to
/// 65535 and so leaves each image's [-1, 1] floats unchanged.
struct PixelStoreBuilder {
    private var eightBit: [UInt8] = []
    private var sixteenBit: [UInt16] = []
    private var isSixteenBit = false

    /// Reserves room for `sampleCount` 8-bit samples.
    init(expectedSampleCount sampleCount: Int) {
        eightBit.reserveCapacity(sampleCount)
    }

    /// Appends the samples of `image`.
    mutating func append(_ image: GrayImage) {
        switch image.samples {
        case .uint8(let values) where !isSixteenBit:
            eightBit.append(contentsOf: values)
        case .uint8(let values):
            sixteenBit.append(contentsOf: values.lazy.map { UInt16($0) &* 257 })
        case .uint16(let values):
            if !isSixteenBit { switchToSixteenBit(reserving: values.count) }
            sixteenBit.append(contentsOf: values)
        }
    }

    /// Everything appended so far.
    var samples: GrayImage.Samples { isSixteenBit ? .uint16(sixteenBit) : .uint8(eightBit) }

    private mutating func switchToSixteenBit(reserving extra: Int) {
        sixteenBit.reserveCapacity(max(eightBit.capacity, eightBit.count + extra))
        sixteenBit.append(contentsOf: eightBit.lazy.map { UInt16($0) &* 257 })
        eightBit = []
        isSixteenBit = true
    }
}
