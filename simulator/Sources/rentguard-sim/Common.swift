import ArgumentParser
import Foundation
import Logging
import RentGuardConfig
import RentGuardCore
import RentGuardMQTT
import RentGuardSimulator

enum Log {
    nonisolated(unsafe) private static var bootstrapped = false

    /// Sets up swift-log to standard error once, and returns a logger.
    static func make(_ label: String, level: Logger.Level) -> Logger {
        if !bootstrapped {
            bootstrapped = true
            LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        }
        var l = Logger(label: label)
        l.logLevel = level
        return l
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

struct LogOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: "Seconds between progress lines on long runs (0: none).")
    var progressEvery: Double = 5

    func validate() throws {
        guard progressEvery >= 0, progressEvery.isFinite else { throw ValidationError("--progress-every must be 0 or more seconds") }
    }
}

/// How to reach a broker.
struct BrokerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The broker: mqtt://HOST:PORT (or mqtts://HOST:PORT with --ca-file).", valueName: "url"))
    var broker: String?

    @Option(name: .long, help: "MQTT client id (default: rentguard-sim-<mode>-<pid>).")
    var clientId: String?

    @Option(name: .long, help: "User name at the broker.")
    var username: String?

    @Option(name: .long, help: ArgumentHelp("A file holding the broker password (never on the command line).", valueName: "path"))
    var passwordFile: String?

    @Option(name: .long, help: ArgumentHelp("CA certificate file for mqtts://.", valueName: "path"))
    var caFile: String?

    @Option(name: .long, help: "Seconds to wait for the first connection.")
    var connectTimeout: Double = 10

    func validate() throws {
        guard let broker else { return }
        let url: BrokerURL
        do { url = try BrokerURL(parsing: broker) } catch { throw ValidationError("--broker: \(error)") }
        if url.tls, caFile == nil { throw ValidationError("--broker \(broker) uses TLS: give --ca-file") }
        if let p = passwordFile, !FileManager.default.isReadableFile(atPath: p) { throw ValidationError("--password-file \(p): cannot read it") }
        guard connectTimeout > 0 else { throw ValidationError("--connect-timeout must be positive") }
    }

    /// Commands that publish or subscribe call this from their `validate()`.
    func require() throws {
        guard broker != nil else { throw ValidationError("missing --broker mqtt://HOST:PORT (the building broker, e.g. mqtt://127.0.0.1:1883)") }
    }

    func connect(mode: String, logger: Logger) async throws -> MQTTClient {
        guard let broker else { throw ValidationError("missing --broker mqtt://HOST:PORT") }
        let url = try BrokerURL(parsing: broker)
        var password: String? = nil
        if let p = passwordFile {
            password = try String(contentsOfFile: p, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let options = MQTTClientOptions(
            host: url.host, port: url.port, clientID: clientId ?? "rentguard-sim-\(mode)-\(ProcessInfo.processInfo.processIdentifier)",
            username: username, password: password, cleanStart: true,
            tls: url.tls ? MQTTTLSOptions(caFile: caFile ?? "") : nil)
        let client = try MQTTClient(options: options, logger: logger)
        client.start()
        do {
            try await client.waitUntilConnected(timeout: .milliseconds(Int64(connectTimeout * 1000)))
        } catch {
            await client.shutdown()
            throw RuntimeError("cannot connect to \(broker) within \(connectTimeout) s (\(error)); is the broker running?")
        }
        logger.info("connected to \(broker)")
        return client
    }
}

/// A failure while running (exit 1).
struct RuntimeError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Pacing options shared by `run` and `replay`.
struct PacingOptions: ParsableArguments {
    @Option(name: .long, help: "Speed-up over real time: 1 is real time, 60 plays an hour in a minute.")
    var speed: Double?

    @Flag(name: .long, help: "As fast as possible (no pacing).")
    var fast = false

    @Option(name: .long, help: "QoS of telemetry (events and status are always QoS 1).")
    var qos: Int = 1

    func validate() throws {
        if fast, speed != nil { throw ValidationError("give --speed or --fast, not both") }
        if let s = speed, !(s > 0 && s.isFinite) { throw ValidationError("--speed must be a positive number (1 = real time)") }
        guard qos == 0 || qos == 1 else { throw ValidationError("--qos must be 0 or 1") }
    }

    /// nil: as fast as possible.
    var factor: Double? { fast ? nil : (speed ?? 1) }
}

/// `--clock`: keep device time on the scenario's clock, or move it to now.
enum ClockChoice: String, ExpressibleByArgument, CaseIterable {
    case scenario, now
}

func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

func isoTime(_ ms: Int64) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
}

/// Publishes messages in order, paced on their `tMs` (or as fast as possible), with
/// progress lines.
struct Publisher {
    var client: MQTTClient
    var logger: Logger
    var factor: Double?
    var telemetryQoS: Int
    var progressEvery: Double

    func publish(_ messages: [SimMessage]) async throws {
        try await publish(messages.map(WireMessage.init))
    }

    func publish(_ messages: [WireMessage]) async throws {
        guard let first = messages.first else {
            logger.warning("nothing to publish")
            return
        }
        let clock = ContinuousClock()
        let wallStart = clock.now
        var lastProgress = wallStart
        var sent = 0
        for m in messages {
            if let f = factor {
                let offset = Double(m.tMs - first.tMs) / f
                let target = wallStart + .milliseconds(Int64(offset.rounded()))
                if target > clock.now { try await Task.sleep(until: target, clock: clock) }
            }
            try await client.publish(topic: m.topic, payload: m.payload, qos: m.qos ?? telemetryQoS, retain: m.retain)
            sent += 1
            if progressEvery > 0, clock.now - lastProgress >= .milliseconds(Int64(progressEvery * 1000)) {
                lastProgress = clock.now
                let elapsed = Double((clock.now - wallStart).components.seconds)
                logger.info("sent \(sent)/\(messages.count) messages; sim time \(isoTime(m.tMs)) (+\(SimTime.format(m.tMs - first.tMs))); wall \(Int(elapsed)) s")
            }
        }
        let d = clock.now - wallStart
        let secs = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        logger.info("sent \(sent) messages covering \(SimTime.format(messages.last!.tMs - first.tMs)) of device time in \(String(format: "%.1f", secs)) s")
    }
}

/// Loads a scenario, turning its errors into input errors (exit 2).
func loadScenario(_ path: String, seed: UInt64?) throws -> Scenario {
    do {
        var s = try Scenario.load(path: path)
        if let seed { s.seed = seed }
        return s
    } catch let e as ScenarioError {
        throw InputError("\(e)")
    } catch {
        throw InputError("\(path): \(error)")
    }
}

func writeFile(_ path: String, _ text: String) throws {
    if path == "-" {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
        throw RuntimeError("cannot write \(path): \(error.localizedDescription)")
    }
}
