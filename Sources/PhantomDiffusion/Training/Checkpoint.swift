import Foundation
import PhantomSafetensors
import PhantomTensor

/// A training checkpoint: `checkpoints/step-NNNNNNNN/` holding the weights
/// (`unet.safetensors`), the EMA weights (`ema.safetensors`), the AdamW moments
/// (`optimizer.safetensors`), the U-Net `config.json`, and `state.json` with the
/// step counts. The data order and every random draw follow from the seed and the
/// step, so this is the whole state of a run.
///
/// A checkpoint is written into a hidden `.step-N.incomplete-*` folder and renamed
/// into place when complete (``StagedDirectory``), so a `step-N` folder is never
/// half-written; hidden leftovers of a killed write or prune are removed by the next write.
public enum Checkpoint {
    static let prefix = "step-"

    /// The folder name of the checkpoint after `step` updates.
    static func name(step: Int) -> String { prefix + String(format: "%08d", step) }

    /// Writes the trainer's state into `folder/step-N` and returns its URL.
    @discardableResult
    public static func write(_ trainer: Trainer, into folder: URL) throws(TrainingError) -> URL {
        let fileManager = FileManager.default
        let destination = folder.appendingPathComponent(name(step: trainer.step))
        let staging = StagedDirectory.staging(for: destination)
        do {
            try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
            try save(trainer.unet.namedParameters.map { ($0.name, $0.parameter.value) },
                     to: staging.appendingPathComponent("unet.safetensors"))
            try save(trainer.ema.shadowTensors, to: staging.appendingPathComponent("ema.safetensors"))
            try save(trainer.optimizer.stateTensors, to: staging.appendingPathComponent("optimizer.safetensors"))
            try trainer.unet.config.jsonData().write(to: staging.appendingPathComponent("config.json"))
            let state: [String: Any] = [
                "step": trainer.step, "optimizer_steps": trainer.optimizer.stepCount,
                "ema_steps": trainer.ema.stepCount, "skipped_steps": trainer.skippedSteps,
                "seed": String(trainer.options.seed),
            ]
            try JSONSerialization.data(withJSONObject: state, options: [.prettyPrinted, .sortedKeys])
                .write(to: staging.appendingPathComponent("state.json"), options: .atomic)
            try StagedDirectory.commit(staging, to: destination)
        } catch let error as TrainingError {
            try? fileManager.removeItem(at: staging)
            throw error
        } catch {
            try? fileManager.removeItem(at: staging)
            throw .io(path: destination.path, reason: "cannot write the checkpoint (\(fileErrorReason(error, path: staging.appendingPathComponent("state.json"))))")
        }
        StagedDirectory.removeLeftovers(in: folder, namePrefix: prefix)
        return destination
    }

    /// The complete checkpoints in `folder`, oldest first.
    public static func all(in folder: URL) -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix(prefix), let step = Int(name.dropFirst(prefix.count)) else { return nil }
            let url = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("state.json").path) else { return nil }
            return (step, url)
        }.sorted { $0.0 < $1.0 }
    }

    /// Deletes all but the newest `keep` checkpoints. Each is first renamed to a hidden
    /// name, so a kill in the middle never leaves a half-deleted `step-N` behind.
    public static func prune(in folder: URL, keep: Int) {
        let checkpoints = all(in: folder)
        for old in checkpoints.dropLast(max(1, keep)) { StagedDirectory.discard(old.url) }
    }

    /// Restores the trainer's weights, EMA, optimizer and step from `checkpoint`.
    public static func restore(_ trainer: Trainer, from checkpoint: URL) throws(TrainingError) {
        let stateURL = checkpoint.appendingPathComponent("state.json")
        guard let data = try? Data(contentsOf: stateURL),
              let state = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let step = state["step"] as? Int, let optimizerSteps = state["optimizer_steps"] as? Int,
              let emaSteps = state["ema_steps"] as? Int else {
            throw .io(path: stateURL.path, reason: "missing or unreadable checkpoint state")
        }
        try load(trainer.unet.namedParameters.map { ($0.name, $0.parameter.value) },
                 from: checkpoint.appendingPathComponent("unet.safetensors"))
        try load(trainer.ema.shadowTensors, from: checkpoint.appendingPathComponent("ema.safetensors"))
        try load(trainer.optimizer.stateTensors, from: checkpoint.appendingPathComponent("optimizer.safetensors"))
        trainer.step = step
        trainer.optimizer.stepCount = optimizerSteps
        trainer.ema.stepCount = emaSteps
        trainer.skippedSteps = state["skipped_steps"] as? Int ?? 0
    }

    private static func save(_ tensors: [(name: String, tensor: Tensor)], to url: URL) throws(TrainingError) {
        let entries = tensors.map { SafetensorsWriter.Entry.float32($0.name, shape: $0.tensor.shape,
                                                                     UnsafeBufferPointer($0.tensor.buffer)) }
        do { try SafetensorsWriter.write(entries, to: url) } catch {
            throw .io(path: url.path, reason: error.reason)
        }
    }

    private static func load(_ tensors: [(name: String, tensor: Tensor)], from url: URL) throws(TrainingError) {
        do {
            let file = try SafetensorsFile(contentsOf: url)
            for (name, tensor) in tensors {
                try file.copyFloats(named: name, shape: tensor.shape, into: tensor.buffer)
            }
        } catch {
            throw .io(path: url.path, reason: error.reason)
        }
    }
}
