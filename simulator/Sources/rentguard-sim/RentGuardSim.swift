import ArgumentParser
import Foundation
import Logging

/// `rentguard-sim`: a building's sensor traffic from physical models.
struct RentGuardSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rentguard-sim",
        abstract: "Simulate a building's smoke detectors, e-bike chargers and meters (protocol v1), and score what the gateway detects.",
        discussion: """
        A scenario (simulator/scenarios/*.yaml) is a building configuration, a duration, a seed and a \
        timeline of injected events (a fire, a charger fault, an overloaded flat …). The simulator turns \
        it into device traffic on the building broker, with device timestamps (`ts`) on the scenario's \
        clock, and writes a ground-truth file of what should be detected. Everything is deterministic \
        for a seed.

        A typical session against a local broker and the daemon:

          # 1. the daemon, on event time, with the scenario's building
          rentguardd --config simulator/scenarios/buildings/block-a.yaml --event-clock &
          # 2. capture what the gateway sends to the registry
          rentguard-sim capture --broker mqtt://127.0.0.1:1883 --building block-a \\
              --out captured.jsonl --duration 60 &
          # 3. publish the scenario as fast as possible, and write its ground truth
          rentguard-sim run simulator/scenarios/flaming_fire.yaml \\
              --broker mqtt://127.0.0.1:1883 --fast --truth truth.json
          # 4. score
          rentguard-sim score --truth truth.json --captured captured.jsonl --min-recall 1

        Without a broker:

          rentguard-sim record simulator/scenarios/quiet_day.yaml --out day.jsonl --truth day-truth.json
          rentguard-sim replay day.jsonl --broker mqtt://127.0.0.1:1883 --speed 60

        Logs go to standard error; requested output (a score report, a trace to '-') to standard output.
        Exit status: 0 success, 1 a score threshold missed or a runtime failure, 2 bad arguments or input.
        See docs/simulator.md for the models, their sources and the scenario format.
        """,
        subcommands: [RunCommand.self, BuildingCommand.self, RecordCommand.self, ReplayCommand.self, LoadCommand.self, CaptureCommand.self, ScoreCommand.self, EventsCommand.self]
    )
}

/// Entry point: like `AsyncParsableCommand.main()`, but bad arguments exit with status 2.
@main
enum Main {
    static func main() async {
        do {
            var command = try RentGuardSim.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = RentGuardSim.exitCode(for: error)
            if code == .validationFailure || error is InputError {
                let message = RentGuardSim.fullMessage(for: error)
                FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
                exit(2)
            }
            RentGuardSim.exit(withError: error)
        }
    }
}

/// A problem with an input file (scenario, trace, truth): reported like a bad argument, exit 2.
struct InputError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
