/// The images a training run draws from: what the trainer needs of a dataset.
/// (`ImageFolderDataset` conforms: `ImageFolderDataset+TrainingImages.swift`.)
public protocol TrainingImages {
    /// Number of images.
    var count: Int { get }
    /// Side of the square images, in pixels.
    var resolution: Int { get }
    /// Number of classes; 0 or 1 means unconditional.
    var classCount: Int { get }
    /// The label of image `index`, in `0..<classCount`, or nil when unlabeled.
    func label(at index: Int) -> Int?
    /// Writes image `index` as `resolution²` floats in [-1, 1], row-major.
    func writeImage(_ index: Int, into destination: UnsafeMutablePointer<Float>)
}
