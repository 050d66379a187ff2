import ArgumentParser
import Foundation
import Logging
import RentGuardConfig
import RentGuardCore
import RentGuardDaemon
import RentGuardHTTP

/// rentguardd: the RentGuard building-safety gateway daemon.
@main
struct RentGuardd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rentguardd",
        abstract: "The RentGuard building-safety gateway daemon.",
        discussion: """
            Subscribes to the building's smoke detectors, e-bike charging stations and meters on
            the building MQTT broker (protocol v1: rg/<building>/<device>/telemetry|event|status),
            detects fire, charger faults and abnormal load, keeps its state in SQLite and
            forwards every alarm transition to the central registry (registry/<building>/alarms)
            with at-least-once delivery.

            Examples:
              rentguardd --check-config /etc/rentguard/rentguard.yaml
              rentguardd --config configs/demo.yaml
              rentguardd --config configs/demo.yaml --broker mqtt://127.0.0.1:1884 --state-dir /tmp/rg
              rentguardd --config building.yaml --event-clock     # replay a recorded trace fast

            Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 2 for a bad configuration
            or command line, 1 for a failure at run time.
            """,
        version: RentGuardVersion.current)

    @Option(name: .long, help: ArgumentHelp("The YAML configuration file.", valueName: "file"))
    var config: String = "/etc/rentguard/rentguard.yaml"

    @Option(name: .customLong("check-config"), help: ArgumentHelp("Validate this configuration file and exit: 0 if valid, 2 with every problem listed.", valueName: "file"))
    var checkConfig: String?

    @Option(name: .long, help: ArgumentHelp("Override the building broker: mqtt://HOST:PORT (or mqtts://).", valueName: "url"))
    var broker: String?

    @Option(name: .customLong("registry-broker"), help: ArgumentHelp("Override the registry's MQTT broker: mqtt://HOST:PORT.", valueName: "url"))
    var registryBroker: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Override storage.state_dir, where the SQLite database lives.", valueName: "dir"))
    var stateDir: String?

    @Option(name: .customLong("http-listen"), help: ArgumentHelp("Override http.listen, the local endpoint for /metrics, /healthz, /readyz and rentguardctl (default 127.0.0.1:9464; beyond loopback a token_file is required).", valueName: "host:port"))
    var httpListen: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Flag(name: .customLong("event-clock"), help: "Run on event time: the clock follows the newest device timestamp (for replaying recorded traces at any speed).")
    var eventClock = false

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        for (name, value) in [("--broker", broker), ("--registry-broker", registryBroker)] {
            if let value {
                do { _ = try BrokerURL(parsing: value) } catch { throw ValidationError("\(name): \(error)") }
            }
        }
    }

    func run() async throws {
        // Metrics first: every counter created afterwards lands in this registry.
        let metrics = RentGuardMetrics.bootstrap()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, level: level) }
        let logger = Logger(label: "rentguardd")

        if let file = checkConfig {
            do {
                // Also the files it names: TLS files must exist and be PEM, secrets readable.
                let c = try ConfigLoader.load(path: file, knownThresholds: RuleCatalog.knownThresholds, checkFiles: true)
                print("\(file): OK — building \(c.gateway.building), gateway \(c.gateway.id), \(c.units.count) units, \(c.devices.count) devices")
                return
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(2)
            }
        }

        let overrides = Daemon.Overrides(broker: broker, registryBroker: registryBroker, stateDir: stateDir, httpListen: httpListen)
        let c: BuildingConfig
        do {
            c = try Daemon.loadConfig(path: config, overrides: overrides)
        } catch {
            FileHandle.standardError.write(Data("rentguardd: invalid configuration:\n\(error)\n".utf8))
            throw ExitCode(2)
        }

        do {
            let settings = Daemon.Settings(config: c, configPath: config, eventClock: eventClock, overrides: overrides)
            try await Daemon(settings: settings, logger: logger, metrics: metrics).run()
        } catch let e as DaemonError {
            logger.critical("cannot start", metadata: ["error": "\(e)"])
            throw ExitCode(1)
        } catch {
            // A service failed (e.g. the pipeline could not read the database): exit non-zero
            // so that systemd restarts the daemon.
            logger.critical("stopped on a fatal error", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}

