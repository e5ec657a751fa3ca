import PhantomDiffusion
import PhantomImaging

/// An ImageFolder dataset as the trainer sees it.
struct DatasetImages: TrainingImages {
    let dataset: ImageFolderDataset

    var count: Int { dataset.count }
    var resolution: Int { dataset.resolution }
    var classCount: Int { dataset.isLabeled ? dataset.classNames.count : 0 }
    func label(at index: Int) -> Int? { dataset.label(at: index) }
    func writeImage(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        dataset.writeFloats(index: index, into: destination)
    }
}
