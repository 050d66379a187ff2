import Logging
import RentGuardConfig
import RentGuardCore
import RentGuardSystemd
import ServiceLifecycle
import UnixSignals

/// SIGHUP reloads the configuration: thresholds, devices, units, landlords and forwarding.
/// Active alarms and the core's learned state are kept. A bad new file is refused, logged
/// with its reasons, and the running configuration stays.
public struct ReloadService: Service {
    let settings: Daemon.Settings
    let detection: DetectionService
    let forwarding: ForwardingService
    let notifier: SystemdNotifier
    let logger: Logger

    public init(settings: Daemon.Settings, detection: DetectionService, forwarding: ForwardingService, notifier: SystemdNotifier, logger: Logger) {
        self.settings = settings
        self.detection = detection
        self.forwarding = forwarding
        self.notifier = notifier
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            var running = settings.config
            for await _ in signals {
                notifier.reloading(status: "reloading the configuration")
                running = reload(running)
                notifier.ready(status: "running")
            }
        }
    }

    /// Returns the configuration in force afterwards.
    func reload(_ running: BuildingConfig) -> BuildingConfig {
        logger.notice("SIGHUP: reloading the configuration", metadata: ["config": "\(settings.configPath)"])
        let new: BuildingConfig
        do {
            new = try Daemon.loadConfig(path: settings.configPath, overrides: settings.overrides)
        } catch {
            logger.error("the new configuration is invalid; keeping the running one", metadata: ["problems": "\(error)"])
            return running
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
            return running
        }
        detection.reconfigure(new)
        if new.registry != running.registry || new.landlords != running.landlords || new.units != running.units {
            forwarding.reload(new)
        }
        logger.notice("configuration reloaded", metadata: [
            "devices": "\(new.devices.count)", "units": "\(new.units.count)", "landlords": "\(new.landlords.count)",
        ])
        return new
    }
}
