import ArgumentParser
import Foundation
import Logging
import RentGuardCore
import RentGuardSimulator

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Publish a scenario's traffic to a broker, in real time or faster.",
        discussion: """
        Device timestamps (`ts`) follow the scenario's clock; with --speed the wall-clock pacing \
        follows it too (--speed 60 plays an hour in a minute), with --fast there is no pacing. A \
        daemon replaying faster than real time must run on event time (rentguardd --event-clock).

        --clock now moves the whole scenario (and its ground truth) so that it starts now: for a \
        daemon on its wall clock, with --speed 1. The time of day of the scenario's events moves too.

        Examples:
          rentguard-sim run simulator/scenarios/flaming_fire.yaml --broker mqtt://127.0.0.1:1883 --fast --truth truth.json
          rentguard-sim run simulator/scenarios/cooking_nuisance.yaml --broker mqtt://127.0.0.1:1883 --speed 30
          rentguard-sim run simulator/scenarios/quiet_day.yaml --broker mqtt://127.0.0.1:1883 --clock now --speed 1
        """)

    @Argument(help: ArgumentHelp("The scenario file (YAML or JSON).", valueName: "scenario"))
    var scenario: String

    @OptionGroup var broker: BrokerOptions
    @OptionGroup var pacing: PacingOptions

    @Option(name: .long, help: "Which clock device timestamps follow: scenario (default) or now.")
    var clock: ClockChoice = .scenario

    @Option(name: .long, help: ArgumentHelp("Also write the ground truth here (on the clock used).", valueName: "path"))
    var truth: String?

    @Option(name: .long, help: "Override the scenario's seed.")
    var seed: UInt64?

    @Option(name: .long, help: ArgumentHelp("The devices' wire format: v1 (default), zigbee2mqtt (smoke detectors), tasmota or shelly (power meters). The daemon needs the matching configuration: rentguard-sim building --format.", valueName: "format"))
    var format: DeviceFormat = .v1

    @OptionGroup var log: LogOptions

    func validate() throws { try broker.require() }

    func run() async throws {
        let logger = Log.make("rentguard-sim.run", level: log.logLevel)
        var sc = try loadScenario(scenario, seed: seed)
        format.prepare(&sc)
        var generated = TrafficGenerator(scenario: sc).generate()
        var shift: Int64 = 0
        if clock == .now {
            shift = (nowMs() - sc.startMs) / 1000 * 1000
            generated.messages = generated.messages.map { $0.shifted(by: shift) }
            generated.truth = generated.truth.shifted(by: shift)
        }
        logger.info("scenario \(sc.name): \(generated.messages.count) messages over \(SimTime.format(sc.durationMs)) from \(isoTime(sc.startMs + shift)), seed \(sc.seed)")
        if let truth {
            try writeFile(truth, generated.truth.serialized())
            logger.info("ground truth written to \(truth) (\(generated.truth.expectations.count) expectations)")
        }
        var emitter = FormatEmitter(format: format, building: sc.building)
        let wire = emitter.emit(generated.messages)
        if format != .v1 {
            logger.info("format \(format.rawValue): \(wire.count) messages; not expressible in the format and dropped: \(emitter.dropped.isEmpty ? "none" : emitter.dropped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        }
        let client = try await broker.connect(mode: "run", logger: logger)
        do {
            try await Publisher(client: client, logger: logger, factor: pacing.factor, telemetryQoS: pacing.qos, progressEvery: log.progressEvery).publish(wire)
        } catch {
            await client.shutdown()
            throw RuntimeError("publishing failed: \(error)")
        }
        await client.shutdown()
    }
}

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Write a scenario's traffic to a JSON Lines trace (and its ground truth), without a broker.",
        discussion: """
        One message per line: {"t_ms": device time, "topic": "rg/<building>/<device>/<channel>", "payload": {…}}. \
        The same scenario and seed always give the same bytes.

        Examples:
          rentguard-sim record simulator/scenarios/flaming_fire.yaml --out fire.jsonl --truth fire-truth.json
          rentguard-sim record simulator/scenarios/quiet_day.yaml --out - --seed 7 | head
        """)

    @Argument(help: ArgumentHelp("The scenario file (YAML or JSON).", valueName: "scenario"))
    var scenario: String

    @Option(name: .long, help: ArgumentHelp("The trace to write ('-': standard output).", valueName: "path"))
    var out: String

    @Option(name: .long, help: ArgumentHelp("Also write the ground truth here.", valueName: "path"))
    var truth: String?

    @Option(name: .long, help: "Override the scenario's seed.")
    var seed: UInt64?

    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = Log.make("rentguard-sim.record", level: log.logLevel)
        let sc = try loadScenario(scenario, seed: seed)
        let g = TrafficGenerator(scenario: sc).generate()
        let w = try TraceWriter(path: out)
        for m in g.messages { w.write(m) }
        w.close()
        logger.info("scenario \(sc.name): \(g.messages.count) messages over \(SimTime.format(sc.durationMs)) written to \(out)")
        if let truth {
            try writeFile(truth, g.truth.serialized())
            logger.info("ground truth written to \(truth) (\(g.truth.expectations.count) expectations, \(g.truth.occupancy.count) occupancy rows)")
        }
    }
}

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Publish a recorded JSON Lines trace to a broker.",
        discussion: """
        Messages go out in file order; with --speed, paced on their t_ms. --clock now moves every \
        timestamp so that the trace starts now.

        Examples:
          rentguard-sim replay fire.jsonl --broker mqtt://127.0.0.1:1883 --fast
          rentguard-sim replay day.jsonl --broker mqtt://127.0.0.1:1883 --speed 120
        """)

    @Argument(help: ArgumentHelp("The trace (JSON Lines).", valueName: "trace"))
    var trace: String

    @OptionGroup var broker: BrokerOptions
    @OptionGroup var pacing: PacingOptions

    @Option(name: .long, help: "Which clock device timestamps follow: scenario (the trace's own, default) or now.")
    var clock: ClockChoice = .scenario

    @OptionGroup var log: LogOptions

    func validate() throws {
        try broker.require()
        guard FileManager.default.isReadableFile(atPath: trace) else { throw ValidationError("cannot read the trace '\(trace)'") }
    }

    func run() async throws {
        let logger = Log.make("rentguard-sim.replay", level: log.logLevel)
        var messages: [SimMessage]
        do { messages = try Trace.read(path: trace) } catch { throw InputError("\(error)") }
        if clock == .now, let first = messages.first {
            let shift = (nowMs() - first.tMs) / 1000 * 1000
            messages = messages.map { $0.shifted(by: shift) }
        }
        logger.info("trace \(trace): \(messages.count) messages")
        let client = try await broker.connect(mode: "replay", logger: logger)
        do {
            try await Publisher(client: client, logger: logger, factor: pacing.factor, telemetryQoS: pacing.qos, progressEvery: log.progressEvery).publish(messages)
        } catch {
            await client.shutdown()
            throw RuntimeError("publishing failed: \(error)")
        }
        await client.shutdown()
    }
}

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "List the event types a scenario can inject, with their parameters.",
        discussion: "Example:\n  rentguard-sim events")

    func run() throws {
        var s = "Event types (events: [{type, device | unit, port, at, duration, params}]):\n"
        for t in ScenarioEventType.allCases {
            s += "  \(t.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)) \(ScenarioEventType.help(t))\n"
        }
        s += "\n'at' is an offset from the start (90, \"2h30m\"), a local time on the first day (\"22:30\") or a day and time (\"d1 07:15\").\n"
        s += "Defaults and sources of every parameter: docs/simulator.md.\n"
        print(s, terminator: "")
    }
}

extension DeviceFormat: ExpressibleByArgument {}

struct BuildingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "building",
        abstract: "Write a scenario's building configuration for traffic in a device format (--format), for the daemon.",
        discussion: """
        Each device the format translates gets its `profile` and `topic` (docs/devices.md); the rest of \
        the building file is kept (its comments are not).

        Example:
          rentguard-sim building simulator/scenarios/overload.yaml --format tasmota --out /tmp/block-tasmota.yaml
          rentguardd --config /tmp/block-tasmota.yaml --event-clock &
          rentguard-sim run simulator/scenarios/overload.yaml --format tasmota --broker mqtt://127.0.0.1:1883 --fast
        """)

    @Argument(help: ArgumentHelp("The scenario file (YAML or JSON).", valueName: "scenario"))
    var scenario: String

    @Option(name: .long, help: ArgumentHelp("The devices' wire format: v1, zigbee2mqtt, tasmota or shelly.", valueName: "format"))
    var format: DeviceFormat

    @Option(name: .long, help: ArgumentHelp("Where to write the configuration ('-': standard output).", valueName: "path"))
    var out: String

    func run() throws {
        let sc = try loadScenario(scenario, seed: nil)
        let yaml: String
        do { yaml = try format.buildingYAML(path: sc.buildingPath, building: sc.building) } catch { throw InputError("\(error)") }
        try writeFile(out, yaml)
    }
}
