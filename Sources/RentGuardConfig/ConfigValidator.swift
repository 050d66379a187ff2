import Foundation
import RentGuardCore

/// Semantic checks on a decoded configuration: ids, cross-references, ranges and formats.
///
/// Every problem is collected (not just the first), so an installer can fix a file in
/// one pass. The loader runs this after decoding; the daemon can run it again after
/// applying command-line overrides.
public enum ConfigValidator {
    /// The commands a device may be allowed to receive (protocol v1 §2).
    public static let deviceCommands: [String] = ["port_off", "port_on", "relay_off", "relay_on", "sound", "silence"]

    /// Checks `config` and returns every problem found (empty when it is valid).
    ///
    /// - Parameters:
    ///   - knownThresholds: rule id → parameter names of the detection rules. When given,
    ///     threshold overrides naming an unknown rule or parameter are problems.
    ///   - checkFiles: also check that `password_file` and TLS files exist and are
    ///     readable (relative paths are taken from the current directory). Off by
    ///     default: the files are read when connecting, and may be provisioned later.
    public static func validate(
        _ config: BuildingConfig, knownThresholds: [String: Set<String>]? = nil, checkFiles: Bool = false
    ) -> [ConfigError.Problem] {
        var v = Validation(config: config, knownThresholds: knownThresholds, checkFiles: checkFiles)
        v.run()
        return v.problems + ProfileValidation.problems(config) + CentreValidation.problems(config) + UnitPortsValidation.problems(config)
            + LandlordChannelValidation.problems(config, checkFiles: checkFiles)
    }

    /// `[A-Za-z0-9_.-]{1,64}`: the id syntax of buildings, gateways, devices (protocol v1 §1),
    /// and, in the configuration, of units and landlords.
    public static func isValidID(_ s: String) -> Bool {
        let bytes = s.utf8
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
        }
    }

    /// Which device kinds can carry out each command.
    static let commandKinds: [String: Set<DeviceKind>] = [
        "port_off": [.charger], "port_on": [.charger],
        "relay_off": [.charger, .powerMeter, .waterMeter, .gasMeter],
        "relay_on": [.charger, .powerMeter, .waterMeter, .gasMeter],
        "sound": [.smokeDetector], "silence": [.smokeDetector],
    ]
}

private struct Validation {
    let config: BuildingConfig
    let knownThresholds: [String: Set<String>]?
    let checkFiles: Bool
    var problems: [ConfigError.Problem] = []

    init(config: BuildingConfig, knownThresholds: [String: Set<String>]?, checkFiles: Bool) {
        self.config = config
        self.knownThresholds = knownThresholds
        self.checkFiles = checkFiles
    }

    mutating func add(_ path: ConfigPath, _ message: String) {
        problems.append(ConfigError.Problem(path, message))
    }

    mutating func run() {
        checkGateway()
        checkBroker(config.broker, at: ConfigPath.root.key("broker"))
        checkRegistry()
        checkStorage()
        checkHTTP()
        if let problem = config.reports.periodEndDaysProblem { add(ConfigPath.root.key("reports").key("period_end_days"), problem) }
        checkIngest()
        checkUnits()
        checkDevices()
        checkThresholds(config.thresholds, at: ConfigPath.root.key("thresholds"))
        checkLandlords()
    }

    // MARK: - Sections

    mutating func checkGateway() {
        let p = ConfigPath.root.key("gateway")
        checkID(config.gateway.id, at: p.key("id"))
        checkID(config.gateway.building, at: p.key("building"))
    }

    mutating func checkBroker(_ b: BrokerConfig, at p: ConfigPath) {
        var url: BrokerURL?
        do {
            url = try BrokerURL(parsing: b.url)
        } catch {
            add(p.key("url"), error.description)
        }
        if let id = b.clientID, id.trimmingWhitespace().isEmpty {
            add(p.key("client_id"), "must not be empty; leave it out to use the default 'rentguardd-<gateway id>'")
        }
        if let u = b.username, u.isEmpty {
            add(p.key("username"), "must not be empty; leave it out to connect without a user name")
        }
        if let f = b.passwordFile {
            if b.username == nil {
                add(p.key("password_file"), "a password needs a user name: set 'username' too")
            }
            checkFile(f, at: p.key("password_file"))
        }
        if !(5...3600).contains(b.keepaliveSeconds) {
            add(p.key("keepalive_s"), "must be from 5 to 3600 seconds, found \(b.keepaliveSeconds)")
        }
        checkPositive(b.connectTimeoutSeconds, at: p.key("connect_timeout_s"), unit: "seconds")
        checkPositive(b.reconnectMinSeconds, at: p.key("reconnect_min_s"), unit: "seconds")
        checkPositive(b.reconnectMaxSeconds, at: p.key("reconnect_max_s"), unit: "seconds")
        if b.reconnectMinSeconds.isFinite, b.reconnectMaxSeconds.isFinite, b.reconnectMinSeconds > b.reconnectMaxSeconds {
            add(p.key("reconnect_min_s"),
                "must not exceed reconnect_max_s (\(fmt(b.reconnectMinSeconds)) > \(fmt(b.reconnectMaxSeconds)))")
        }
        if let url, url.tls, b.tls == nil {
            add(p.key("tls"), "missing: an mqtts:// url needs 'tls' with 'ca_file' (the certificate authorities that sign the broker's certificate)")
        }
        if let tls = b.tls {
            let tp = p.key("tls")
            if let url, !url.tls {
                add(tp, "TLS is configured but the url uses mqtt://; use mqtts:// to connect with TLS")
            }
            if tls.caFile.isEmpty {
                add(tp.key("ca_file"), "must not be empty")
            } else {
                checkFile(tls.caFile, at: tp.key("ca_file"), pem: .certificate)
            }
            switch (tls.certFile, tls.keyFile) {
            case (nil, nil): break
            case (.some, nil): add(tp.key("key_file"), "a client certificate (cert_file) needs its key_file")
            case (nil, .some): add(tp.key("cert_file"), "a client key (key_file) needs its cert_file")
            case (.some(let c), .some(let k)):
                checkFile(c, at: tp.key("cert_file"), pem: .certificate)
                checkFile(k, at: tp.key("key_file"), pem: .privateKey)
            }
        }
    }

    mutating func checkRegistry() {
        let p = ConfigPath.root.key("registry")
        checkTopicPrefix(config.registry.topicPrefix, at: p.key("topic_prefix"))
        if let m = config.registry.mqtt {
            checkBroker(m, at: p.key("mqtt"))
        }
        if let h = config.registry.https {
            let hp = p.key("https")
            let lower = h.url.lowercased()
            if !(lower.hasPrefix("https://") || lower.hasPrefix("http://")) || h.url.split(separator: "/").count < 2 {
                add(hp.key("url"), "must be https://HOST[:PORT][/PATH] (or http:// for a test receiver), found '\(h.url)'")
            }
            if h.secretFile == nil {
                add(hp.key("secret_file"), "missing: HTTPS deliveries are signed (X-RG-Signature); point secret_file at a file holding the shared secret")
            } else if let f = h.secretFile {
                checkFile(f, at: hp.key("secret_file"))
            }
            if let ca = h.caFile { checkFile(ca, at: hp.key("ca_file"), pem: .certificate) }
            checkPositive(h.timeoutSeconds, at: hp.key("timeout_s"), unit: "seconds")
        }
        checkPositive(config.registry.heartbeatIntervalSeconds, at: p.key("heartbeat_interval_s"), unit: "seconds")
    }

    mutating func checkHTTP() {
        let p = ConfigPath.root.key("http")
        let h = config.http
        let parts = h.listen.split(separator: ":")
        if parts.count < 2 || Int(parts.last!).map({ !(0...65535).contains($0) }) ?? true {
            add(p.key("listen"), "must be HOST:PORT (e.g. 127.0.0.1:9464), found '\(h.listen)'")
        } else {
            let host = h.listen[..<h.listen.lastIndex(of: ":")!].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let loopback = host == "localhost" || host == "::1" || host.hasPrefix("127.")
            if !loopback, h.tokenFile == nil, h.enabled {
                add(p.key("token_file"), "missing: listening on '\(host)' (not loopback) needs a token_file; anyone on the network could acknowledge alarms")
            }
        }
        if let f = h.tokenFile { checkFile(f, at: p.key("token_file")) }
    }

    mutating func checkStorage() {
        let p = ConfigPath.root.key("storage")
        let s = config.storage
        if s.stateDir.trimmingWhitespace().isEmpty {
            add(p.key("state_dir"), "must not be empty")
        }
        if s.retentionDays < 1 {
            add(p.key("retention_days"), "must be at least 1 day, found \(s.retentionDays)")
        }
        if !(1...1440).contains(s.aggregateMinutes) {
            add(p.key("aggregate_minutes"), "must be from 1 to 1440 minutes, found \(s.aggregateMinutes)")
        }
        checkPositive(s.flushIntervalSeconds, at: p.key("flush_interval_s"), unit: "seconds")
        checkPositive(s.outboxMaxMB, at: p.key("outbox_max_mb"), unit: "MiB")
    }

    mutating func checkIngest() {
        let p = ConfigPath.root.key("ingest")
        let i = config.ingest
        checkTopicPrefix(i.topicPrefix, at: p.key("topic_prefix"))
        if !(256...1_048_576).contains(i.maxPayloadBytes) {
            add(p.key("max_payload_bytes"), "must be from 256 to 1048576 bytes, found \(i.maxPayloadBytes)")
        }
        checkNonNegative(i.futureToleranceSeconds, at: p.key("future_tolerance_s"), unit: "seconds")
        checkNonNegative(i.latenessSeconds, at: p.key("lateness_s"), unit: "seconds")
        if i.qos0BufferLimit < 1 {
            add(p.key("qos0_buffer_limit"), "must be at least 1, found \(i.qos0BufferLimit)")
        }
    }

    mutating func checkUnits() {
        let unitIDs = Set(config.units.map(\.id))
        let landlordIDs = config.landlords.map(\.id)
        var firstIndex: [String: Int] = [:]
        for (i, u) in config.units.enumerated() {
            let p = ConfigPath.root.key("units").index(i)
            checkID(u.id, at: p.key("id"))
            if let j = firstIndex[u.id] {
                add(p.key("id"), "duplicate unit id '\(u.id)' (also units[\(j)])")
            } else {
                firstIndex[u.id] = i
            }
            checkPositive(u.areaM2, at: p.key("area_m2"), unit: "m²")
            if u.registeredOccupants < 0 {
                add(p.key("registered_occupants"), "must be 0 or more, found \(u.registeredOccupants)")
            }
            if let r = u.roomsRented, r < 0 {
                add(p.key("rooms_rented"), "must be 0 or more, found \(r)")
            }
            if let l = u.landlord, !landlordIDs.contains(l) {
                add(p.key("landlord"), unknownReference("landlord", l, among: landlordIDs, section: "landlords"))
            }
            for (j, a) in u.adjacent.enumerated() {
                if a == u.id {
                    add(p.key("adjacent").index(j), "a unit cannot be adjacent to itself")
                } else if !unitIDs.contains(a) {
                    add(p.key("adjacent").index(j), unknownReference("unit", a, among: config.units.map(\.id), section: "units"))
                }
            }
        }
    }

    mutating func checkDevices() {
        let unitIDs = config.units.map(\.id)
        let deviceIDs = Set(config.devices.map(\.id))
        var firstIndex: [String: Int] = [:]
        for (i, d) in config.devices.enumerated() {
            let p = ConfigPath.root.key("devices").index(i)
            checkID(d.id, at: p.key("id"))
            if let j = firstIndex[d.id] {
                add(p.key("id"), "duplicate device id '\(d.id)' (also devices[\(j)])")
            } else {
                firstIndex[d.id] = i
            }
            if let u = d.unit, !unitIDs.contains(u) {
                add(p.key("unit"), unknownReference("unit", u, among: unitIDs, section: "units"))
            }
            for (j, n) in d.near.enumerated() {
                if n == d.id {
                    add(p.key("near").index(j), "a device cannot be near itself")
                } else if !deviceIDs.contains(n) {
                    add(p.key("near").index(j), unknownReference("device", n, among: config.devices.map(\.id), section: "devices"))
                }
            }
            if let r = d.reportIntervalSeconds {
                checkPositive(r, at: p.key("report_interval_s"), unit: "seconds")
            }
            checkKindFields(d, at: p)
            checkCommands(d, at: p)
            checkThresholds(d.thresholds, at: p.key("thresholds"))
        }
    }

    mutating func checkKindFields(_ d: DeviceConfig, at p: ConfigPath) {
        if d.kind == .charger {
            if let ports = d.ports {
                if ports < 1 { add(p.key("ports"), "a charger needs at least 1 port, found \(ports)") }
            } else {
                add(p.key("ports"), "missing: a charger needs 'ports' (its number of ports, at least 1)")
            }
            if let a = d.ratedPortCurrentA {
                checkPositive(a, at: p.key("rated_port_current_a"), unit: "A")
            } else {
                add(p.key("rated_port_current_a"), "missing: a charger needs 'rated_port_current_a' (one port's rated current in A, above 0)")
            }
            if let w = d.stationPowerCapW {
                checkPositive(w, at: p.key("station_power_cap_w"), unit: "W")
            }
        } else {
            for (key, present) in [("ports", d.ports != nil), ("rated_port_current_a", d.ratedPortCurrentA != nil),
                                   ("station_power_cap_w", d.stationPowerCapW != nil)] where present {
                add(p.key(key), "only applies to chargers, and this device is a \(kindName(d.kind))")
            }
        }
        if let a = d.ratedCurrentA {
            if d.kind == .powerMeter {
                checkPositive(a, at: p.key("rated_current_a"), unit: "A")
            } else {
                add(p.key("rated_current_a"), "only applies to power meters, and this device is a \(kindName(d.kind))")
            }
        }
    }

    mutating func checkCommands(_ d: DeviceConfig, at p: ConfigPath) {
        let allowed = ConfigValidator.deviceCommands
        for (j, c) in d.commands.enumerated() {
            let cp = p.key("commands").index(j)
            guard let kinds = ConfigValidator.commandKinds[c] else {
                add(cp, "unknown command '\(c)'\(Suggestion.didYouMean(c, among: allowed)); allowed: \(allowed.joined(separator: ", "))")
                continue
            }
            if !kinds.contains(d.kind) {
                let fitting = allowed.filter { ConfigValidator.commandKinds[$0]?.contains(d.kind) == true }
                add(cp, "a \(kindName(d.kind)) cannot carry out '\(c)'; commands for this kind: \(fitting.joined(separator: ", "))")
            }
        }
    }

    mutating func checkThresholds(_ t: [String: [String: Double]], at p: ConfigPath) {
        for rule in t.keys.sorted() {
            let params = t[rule]!
            let rp = p.key(rule)
            var knownParams: Set<String>?
            if let knownThresholds {
                if let k = knownThresholds[rule] {
                    knownParams = k
                } else {
                    add(rp, "unknown rule '\(rule)'\(Suggestion.didYouMean(rule, among: knownThresholds.keys)); the rule ids are listed in docs/detection.md")
                    continue
                }
            }
            for param in params.keys.sorted() {
                let value = params[param]!
                if let knownParams, !knownParams.contains(param), param == "utc_offset_h" {
                    add(rp.key(param), "'utc_offset_h' is no longer a rule parameter: local time is the gateway's time zone, set it once as 'gateway.timezone' (an IANA name such as Asia/Shanghai)")
                } else if let knownParams, !knownParams.contains(param) {
                    add(rp.key(param), "unknown parameter '\(param)' for rule '\(rule)'\(Suggestion.didYouMean(param, among: knownParams)); known parameters: \(knownParams.sorted().joined(separator: ", "))")
                } else if !value.isFinite {
                    add(rp.key(param), "must be a finite number, found \(fmt(value))")
                }
            }
        }
    }

    mutating func checkLandlords() {
        var firstIndex: [String: Int] = [:]
        for (i, l) in config.landlords.enumerated() {
            let p = ConfigPath.root.key("landlords").index(i)
            checkID(l.id, at: p.key("id"))
            if let j = firstIndex[l.id] {
                add(p.key("id"), "duplicate landlord id '\(l.id)' (also landlords[\(j)])")
            } else {
                firstIndex[l.id] = i
            }
            for (j, c) in l.channels.enumerated() {
                checkChannel(c, at: p.key("channels").index(j))
            }
            if let q = l.quietHours, let problem = quietHoursProblem(q) {
                add(p.key("quiet_hours"), problem)
            }
        }
    }

    mutating func checkChannel(_ c: LandlordConfig.Channel, at p: ConfigPath) {
        switch c.type {
        case "webhook":
            if let url = c.url {
                let lower = url.lowercased()
                let scheme = lower.hasPrefix("https://") ? "https://" : lower.hasPrefix("http://") ? "http://" : nil
                if let scheme {
                    if url.dropFirst(scheme.count).isEmpty || url.dropFirst(scheme.count).hasPrefix("/") {
                        add(p.key("url"), "the host is missing in '\(url)'")
                    }
                } else {
                    add(p.key("url"), "a webhook url must start with https:// (or http:// for testing), found '\(url)'")
                }
            } else {
                add(p.key("url"), "missing: a webhook channel needs 'url' (https://…)")
            }
            if c.topic != nil {
                add(p.key("topic"), "only applies to mqtt channels; a webhook channel uses 'url'")
            }
        case "mqtt":
            if let topic = c.topic {
                if let problem = topicProblem(topic, isPrefix: false) { add(p.key("topic"), problem) }
            } else {
                add(p.key("topic"), "missing: an mqtt channel needs 'topic'")
            }
            if c.url != nil {
                add(p.key("url"), "only applies to webhook channels; an mqtt channel uses 'topic'")
            }
            if config.registry.mqtt == nil {
                add(p.key("type"), "mqtt channels are published on the registry broker, but registry.mqtt is not configured")
            }
        case let t where LandlordChannelValidation.types.contains(t):
            break  // LandlordChannelValidation
        default:
            let types = ["webhook", "mqtt"] + LandlordChannelValidation.types
            add(p.key("type"), "unknown channel type '\(c.type)'\(Suggestion.didYouMean(c.type, among: types)); use \(types.joined(separator: ", "))")
        }
    }

    // MARK: - Helpers

    mutating func checkID(_ id: String, at p: ConfigPath) {
        if !ConfigValidator.isValidID(id) {
            let shown = id.isEmpty ? "an empty id" : "'\(id)'"
            add(p, "\(shown) is not a valid id: use 1 to 64 letters, digits, '_', '.' or '-'")
        }
    }

    mutating func checkPositive(_ x: Double, at p: ConfigPath, unit: String) {
        if !(x.isFinite && x > 0) {
            add(p, "must be a number above 0 (\(unit)), found \(fmt(x))")
        }
    }

    mutating func checkNonNegative(_ x: Double, at p: ConfigPath, unit: String) {
        if !(x.isFinite && x >= 0) {
            add(p, "must be 0 or more (\(unit)), found \(fmt(x))")
        }
    }

    mutating func checkTopicPrefix(_ s: String, at p: ConfigPath) {
        if let problem = topicProblem(s, isPrefix: true) { add(p, problem) }
    }

    /// What a TLS file must hold.
    enum PEMKind {
        case certificate, privateKey
    }

    /// With `checkFiles`: the file exists, is a readable file and, with `pem`, holds PEM of
    /// that kind (a `-----BEGIN CERTIFICATE-----` / `-----BEGIN … PRIVATE KEY-----` block).
    mutating func checkFile(_ path: String, at p: ConfigPath, pem: PEMKind? = nil) {
        guard checkFiles else { return }
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let whereFrom = path.hasPrefix("/") ? "" : " (relative to the current directory, \(fm.currentDirectoryPath))"
        if !fm.fileExists(atPath: path, isDirectory: &isDir) {
            add(p, "file '\(path)' does not exist\(whereFrom)")
        } else if isDir.boolValue {
            add(p, "'\(path)' is a directory, not a file")
        } else if !fm.isReadableFile(atPath: path) {
            add(p, "file '\(path)' is not readable (permission denied)")
        } else if let pem {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                add(p, "file '\(path)' is not readable")
                return
            }
            defer { try? handle.close() }
            // PEM files are small; a CA bundle is a few hundred KiB at most.
            let text = String(decoding: (try? handle.read(upToCount: 4 << 20)) ?? Data(), as: UTF8.self)
            switch pem {
            case .certificate:
                if !text.contains("-----BEGIN CERTIFICATE-----"), !text.contains("-----BEGIN TRUSTED CERTIFICATE-----") {
                    add(p, "file '\(path)' is not a PEM certificate: no '-----BEGIN CERTIFICATE-----' block")
                }
            case .privateKey:
                if text.range(of: "-----BEGIN ([A-Z]+ )?PRIVATE KEY-----", options: .regularExpression) == nil {
                    add(p, "file '\(path)' is not a PEM private key: no '-----BEGIN … PRIVATE KEY-----' block")
                }
            }
        }
    }

    func unknownReference(_ what: String, _ id: String, among ids: [String], section: String) -> String {
        if ids.isEmpty {
            return "unknown \(what) '\(id)': no \(section) are defined under '\(section)'"
        }
        return "unknown \(what) '\(id)'\(Suggestion.didYouMean(id, among: ids)); it must be the id of one of the \(section)"
    }

    func topicProblem(_ s: String, isPrefix: Bool) -> String? {
        if s.isEmpty { return "must not be empty" }
        if s.contains("+") || s.contains("#") { return "must not contain the MQTT wildcards '+' or '#', found '\(s)'" }
        if s.unicodeScalars.contains("\u{0}") { return "must not contain a NUL character" }
        if isPrefix, s.hasPrefix("/") || s.hasSuffix("/") { return "must not start or end with '/', found '\(s)'" }
        if s.utf8.count > 65535 - 200 { return "is too long for an MQTT topic" }
        return nil
    }

    func quietHoursProblem(_ s: String) -> String? {
        let bad = "expected HH:MM-HH:MM (24-hour local time, e.g. 22:00-07:00), found '\(s)'"
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return bad }
        var minutes: [Int] = []
        for part in parts {
            let hm = part.split(separator: ":", omittingEmptySubsequences: false)
            guard hm.count == 2, hm[0].count == 2, hm[1].count == 2,
                  hm.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
                  let h = Int(hm[0]), let m = Int(hm[1]) else { return bad }
            guard h < 24, m < 60 else { return "'\(part)' is not a time of day (00:00 to 23:59)" }
            minutes.append(h * 60 + m)
        }
        if minutes[0] == minutes[1] { return "quiet hours start and end at the same time ('\(s)')" }
        return nil
    }

    func kindName(_ k: DeviceKind) -> String {
        k.rawValue.replacingOccurrences(of: "_", with: " ")
    }

    func fmt(_ x: Double) -> String {
        if x.isNaN { return ".nan" }
        if x.isInfinite { return x > 0 ? ".inf" : "-.inf" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        return String(x)
    }
}
