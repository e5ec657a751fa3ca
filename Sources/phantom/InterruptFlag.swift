import Dispatch
import Foundation
import Synchronization

/// Turns Ctrl-C (SIGINT) and SIGTERM into a flag that long work polls, so it can
/// finish its step, save, and exit cleanly. A second signal exits at once.
enum InterruptFlag {
    private static let raised = Atomic<Bool>(false)
    /// The installed signal sources, kept alive for the life of the process.
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers (call once, from the main thread).
    static func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if raised.exchange(true, ordering: .relaxed) { exit(130) }
                FileHandle.standardError.write(Data("\nstopping after this step (press Ctrl-C again to quit at once)\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Whether a stop was asked for.
    static var isRaised: Bool { raised.load(ordering: .relaxed) }
}
