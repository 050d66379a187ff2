import Logging
import RentGuardConfig
import RentGuardCore
import RentGuardSystemd
import ServiceLifecycle
import UnixSignals

/// SIGHUP reloads the configuration: thresholds, devices, units, landlords and forwarding.
/// Active alarms and the core's learned state are kept. A bad new file is refused, logged
/// with its reasons, and the running configuration stays. A good one is put in force in the
/// `RunningConfiguration` every service reads (detection and forwarding are told through it).
public struct ReloadService: Service {
    let settings: Daemon.Settings
    let configuration: RunningConfiguration
    let notifier: SystemdNotifier
    let logger: Logger

    public init(settings: Daemon.Settings, configuration: RunningConfiguration, notifier: SystemdNotifier, logger: Logger) {
        self.settings = settings
        self.configuration = configuration
        self.notifier = notifier
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                notifier.reloading(status: "reloading the configuration")
                reload()
                notifier.ready(status: "running")
            }
        }
    }

    /// Loads the file again and puts it in force if it validates and changes nothing that
    /// needs a restart; otherwise the running configuration stays.
    func reload() {
        let running = configuration.current
        logger.notice("SIGHUP: reloading the configuration", metadata: ["config": "\(settings.configPath)"])
        let new: BuildingConfig
        do {
            new = try Daemon.loadConfig(path: settings.configPath, overrides: settings.overrides)
        } catch {
            logger.error("the new configuration is invalid; keeping the running one", metadata: ["problems": "\(error)"])
            return
        }
        var needsRestart: [String] = []
        if new.gateway != running.gateway { needsRestart.append("gateway") }
        if new.broker != running.broker { needsRestart.append("broker") }
        if new.storage.stateDir != running.storage.stateDir { needsRestart.append("storage.state_dir") }
        if new.ingest.topicPrefix != running.ingest.topicPrefix { needsRestart.append("ingest.topic_prefix") }
        if !needsRestart.isEmpty {
            logger.error("the new configuration changes settings that need a restart; keeping the running one", metadata: [
                "keys": "\(needsRestart.joined(separator: ","))",
            ])
            return
        }
        configuration.replace(new)
        logger.notice("configuration reloaded", metadata: [
            "devices": "\(new.devices.count)", "units": "\(new.units.count)", "landlords": "\(new.landlords.count)",
            "generation": "\(configuration.generation)",
        ])
    }
}
