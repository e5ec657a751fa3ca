import PhantomImaging

/// An image folder is what a run trains on: its classes are the labels (none when the
/// folder is unlabeled), its images written as floats in [-1, 1].
extension ImageFolderDataset: TrainingImages {
    public var classCount: Int { isLabeled ? classNames.count : 0 }

    public func writeImage(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        writeFloats(index: index, into: destination)
    }
}
