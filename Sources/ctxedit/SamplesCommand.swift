import ArgumentParser
import Scenes

/// `ctxedit samples --out Samples`: re-render the project's sample clips.
struct SamplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples",
        abstract: "Render the sample clips (moving shapes with caption sidecars) into a folder.",
        discussion: """
        Examples:
          ctxedit samples                 # re-render Samples/ (make samples)
          ctxedit samples --out /tmp/clips
        """
    )

    @Option(help: "Folder to write NAME.mp4 and NAME.txt into.")
    var out = "Samples"

    func run() throws {
        for path in try SampleClips.write(to: out) { print("wrote \(path)") }
    }
}
