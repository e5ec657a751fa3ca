import PhantomEvaluation
import PhantomTensor
import Testing

@Suite struct LabeledImagesTests {
    /// Samples handed over in memory are what the same samples read back from 8-bit files would be.
    @Test func samplesAreClampedAndRoundedToTheBitDepth() {
        let tensor = Tensor(shape: [1, 1, 2, 2], values: [-1.5, 1.2, 0.001, -0.5])
        let images = LabeledImages(samples: tensor, labels: [3], bitDepth: 8)
        #expect(images.side == 2 && images.labels == [3])
        let expected = [Float(0), 255, 128, 64].map { $0 / 255 * 2 - 1 }
        #expect(zip(images.pixels, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(images.pixels)")
    }
}
