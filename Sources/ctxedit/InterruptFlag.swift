import Dispatch
import Foundation

/// Set when the user presses Ctrl-C (SIGINT) or the process gets SIGTERM; long runs check it between steps and
/// stop cleanly (outputs are atomic, so nothing half-written remains). A second Ctrl-C exits at once.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private var sources: [DispatchSourceSignal] = []

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return set
    }

    static func install() -> InterruptFlag {
        let flag = InterruptFlag()
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                flag.lock.lock()
                let again = flag.set
                flag.set = true
                flag.lock.unlock()
                if again { exit(130) }
            }
            source.resume()
            flag.sources.append(source)
        }
        return flag
    }
}
