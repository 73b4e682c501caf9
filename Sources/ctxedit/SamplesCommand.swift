import ArgumentParser
struct SamplesCommand: ParsableCommand { static let configuration = CommandConfiguration(commandName: "samples") }
