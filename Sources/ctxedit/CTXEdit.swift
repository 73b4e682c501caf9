import ArgumentParser
import Batch

/// `ctxedit`: text-guided video editing (ContextDiff) on the CPU.
@main
struct CTXEdit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctxedit",
        abstract: "Edit a video clip from a text prompt (ContextDiff), on the CPU.",
        version: ctxeditVersion,
        subcommands: [EditCommand.self, GenerateCommand.self, RunCommand.self, InfoCommand.self, StripCommand.self, SamplesCommand.self, TuneCommand.self,
                      TrainDefaultCommand.self, EvalCommand.self],
        defaultSubcommand: EditCommand.self
    )
}
