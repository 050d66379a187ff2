import ArgumentParser
import Foundation
import RentGuardCore

#if canImport(Glibc)
import Glibc
#endif

@main
struct RentGuardCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rentguardctl",
        abstract: "Look at and acknowledge the alarms of a running rentguardd (the building's safety gateway).",
        discussion: """
            rentguardctl talks to rentguardd's local operations endpoint, by default
            http://127.0.0.1:9464 on the gateway itself. Options go before or after
            the command.

            EXAMPLES
              The gateway at a glance:
                rentguardctl status
              What is going on, one line per incident (a fire's smoke, heat and CO
              alarms in one flat are one incident; the id is the last column):
                rentguardctl incidents --active
              Alarms that are not cleared yet (the alarm id is the last column):
                rentguardctl alarms --active
              Acknowledge an alarm (the registry receives the 'acknowledged' state),
              or every active alarm of an incident (its id starts with 'inc:'):
                rentguardctl ack 'demo:smoke:SD-101-1:1718000000000' \\
                    --by 'Li Wei' --note 'kitchen smoke, no fire'
                rentguardctl ack 'inc:demo:smoke:SD-101-1:1718000000000'
              Devices that stopped reporting:
                rentguardctl devices --offline
              Registered and estimated occupants per unit:
                rentguardctl occupancy
              Messages waiting for the registry and the landlords:
                rentguardctl outbox
              The ledger (台账) of the last period, or of the period holding a day:
                rentguardctl report
                rentguardctl report --period 2026-03-05 --format html > ledger.html
              The API's JSON, for scripts:
                rentguardctl alarms --active --json | jq .

            When rentguardd requires a token (always when it listens beyond
            127.0.0.1), pass the file that holds it:
                rentguardctl --token-file /etc/rentguard/api-token status
                export RENTGUARD_TOKEN_FILE=/etc/rentguard/api-token
            Another gateway (its endpoint must listen there, with a token):
                rentguardctl --url http://10.0.0.5:9464 --token-file gw5.token status

            EXIT STATUS
              0   success
              1   other error (an error answer, an unreadable token file, ...)
              2   rentguardd is not running or cannot be reached
              3   access denied (missing or wrong token)
              4   not found (no such alarm)
              5   conflict (the alarm is already acknowledged or cleared)
              64  bad command line
            """,
        subcommands: [Status.self, Incidents.self, Alarms.self, Ack.self, Devices.self, Occupancy.self, Outbox.self, Report.self]
    )

    @OptionGroup(title: "Global options") var global: GlobalOptions

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let e as CtlError {
            FileHandle.standardError.write(Data("rentguardctl: \(e.message)\n".utf8))
            Glibc.exit(e.exitCode)
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("rentguardd's operations endpoint (env RENTGUARD_URL).", valueName: "url"))
    var url: String?

    @Option(name: .long, help: ArgumentHelp("A file holding the API token (env RENTGUARD_TOKEN_FILE).", valueName: "file"))
    var tokenFile: String?

    @Flag(name: .long, help: "Print the API's JSON instead of a table.")
    var json = false

    /// These options, overridden by those given after the subcommand.
    func merged(with later: GlobalOptions) -> GlobalOptions {
        var m = self
        if let u = later.url { m.url = u }
        if let t = later.tokenFile { m.tokenFile = t }
        if later.json { m.json = true }
        return m
    }

    func client() throws -> APIClient {
        let env = ProcessInfo.processInfo.environment
        let url = self.url ?? env["RENTGUARD_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:9464"
        let file = tokenFile ?? env["RENTGUARD_TOKEN_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let token = try file.map { try APIClient.readToken(file: $0) }
        return try APIClient(url: url, token: token)
    }

    /// GETs `path`; prints the JSON as is with --json (returns nil), else returns it parsed.
    func fetch(_ path: String) async throws -> JSONValue? {
        let c = try client()
        let r = try await c.get(path)
        try c.check(r)
        if json {
            print(r.text, terminator: r.text.hasSuffix("\n") ? "" : "\n")
            return nil
        }
        return try r.json()
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the gateway at a glance: readiness, devices, alarms, brokers, outbox.",
        discussion: "Example: rentguardctl status")

    @ParentCommand var root: RentGuardCtl
    @OptionGroup(title: "Global options") var local: GlobalOptions
    var global: GlobalOptions { root.global.merged(with: local) }

    func run() async throws {
        guard let s = try await global.fetch("/api/v1/status") else { return }
        let now = s["now"]?.int64 ?? Format.nowMs()
        let started = s["started_at"]?.int64
        let problems = s["problems"]?.array.compactMap(\.string) ?? []
        var items: [(String, String)] = [
            ("gateway", "\(s["gateway"]?.cell ?? "-") (building \(s["building"]?.cell ?? "-"))"),
            ("version", s["version"]?.cell ?? "-"),
            ("state", s["ready"]?.bool == true ? "ready" : "NOT READY"),
            ("up since", started.map { "\(Format.time($0)) (\(Format.duration(seconds: Double(now - $0) / 1000)))" } ?? "-"),
            ("active alarms", s["active_alarms"]?.cell ?? "-"),
            ("devices", "\(s["devices_registered"]?.cell ?? "-") registered, \(s["devices_online"]?.cell ?? "-") online, \(s["devices_offline"]?.cell ?? "-") offline, \(s["devices_never_seen"]?.cell ?? "-") never seen"),
            ("messages", "\(s["messages_received"]?.cell ?? "-") received, \(s["messages_rejected"]?.cell ?? "-") rejected"),
        ]
        for b in s["brokers"]?.array ?? [] {
            var line = "\(b["connected"]?.bool == true ? "connected" : "DISCONNECTED") \(b["url"]?.cell ?? "")"
            // The building broker's $SYS counters (docs/operations.md, "The building broker").
            switch b["sys"]?.string {
            case "unavailable": line += "; publishes no $SYS: messages it drops cannot be seen"
            case "available": line += "; dropped \(b["dropped_messages"]?.cell ?? "-") messages since it started, \(b["stored_messages"]?.cell ?? "-") stored"
            default: break
            }
            items.append(("broker \(b["name"]?.cell ?? "?")", line))
        }
        items.append(("outbox", "\(s["outbox_pending"]?.cell ?? "-") pending, \(s["outbox_dead"]?.cell ?? "-") refused"))
        items.append(("database", s["database_bytes"]?.doubleValue.map(Format.bytes) ?? "-"))
        for p in problems { items.append(("problem", p)) }
        print(Format.pairs(items))
    }
}

struct Alarms: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List alarms: active ones most severe first, all of them most recently updated first.",
        discussion: """
            Examples:
              rentguardctl alarms --active
              rentguardctl alarms --limit 500 --json
            """)

    @ParentCommand var root: RentGuardCtl
    @OptionGroup(title: "Global options") var local: GlobalOptions
    var global: GlobalOptions { root.global.merged(with: local) }

    @Flag(name: .long, help: "Only alarms that are not cleared.")
    var active = false

    @Option(name: .long, help: "At most this many alarms (1-1000).")
    var limit = 100

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
    }

    func run() async throws {
        guard let body = try await global.fetch("/api/v1/alarms?active=\(active)&limit=\(limit)") else { return }
        let alarms = body["alarms"]?.array ?? []
        if alarms.isEmpty {
            print(active ? "no active alarms" : "no alarms")
            return
        }
        let now = Format.nowMs()
        let rows = alarms.map { a -> [String] in
            var subject = a["device"]?.cell ?? "-"
            if let p = a["port"]?.int64 { subject += " port \(p)" }
            return [
                (a["severity"]?.cell ?? "-").uppercased(), a["state"]?.cell ?? "-", a["type"]?.cell ?? "-", a["unit"]?.cell ?? "-", subject,
                a["location"]?.cell ?? "-", Format.time(a["started_at"]?.int64), Format.ago(a["updated_at"]?.int64, now: now), a["alarm_id"]?.cell ?? "-",
            ]
        }
        print(Format.table(["SEVERITY", "STATE", "TYPE", "UNIT", "DEVICE", "LOCATION", "STARTED", "UPDATED", "ALARM ID"], rows))
        if active, let total = body["active_total"]?.int64 {
            // The exact totals: what the list leaves out is never hidden.
            let counts = ["critical", "major", "minor", "warning"].map { "\($0) \(body["active_counts"]?[$0]?.int64 ?? 0)" }
            let shown = total > Int64(alarms.count) ? ", showing the \(alarms.count) most severe" : ""
            print("\(total) active alarms: \(counts.joined(separator: ", "))\(shown)")
        }
    }
}

struct Incidents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List incidents: the alarms one event caused in one place, one line each.",
        discussion: """
            An incident is a fire's smoke, heat, CO and fire alarms in one flat (or one
            shared space, or one charging station) within 10 minutes; any other alarm is
            an incident of its own. Active ones come first, most severe first.

            Examples:
              rentguardctl incidents --active
              rentguardctl incidents --json | jq '.incidents[0].timeline'
              rentguardctl ack 'inc:demo:smoke:SD-101-1:1718000000000'   # every active alarm of it
            """)

    @ParentCommand var root: RentGuardCtl
    @OptionGroup(title: "Global options") var local: GlobalOptions
    var global: GlobalOptions { root.global.merged(with: local) }

    @Flag(name: .long, help: "Only incidents with an alarm that is not cleared.")
    var active = false

    @Option(name: .long, help: "At most this many incidents (1-1000).")
    var limit = 100

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
    }

    func run() async throws {
        guard let body = try await global.fetch("/api/v1/incidents?active=\(active)&limit=\(limit)") else { return }
        let incidents = body["incidents"]?.array ?? []
        if incidents.isEmpty {
            print(active ? "no active incidents" : "no incidents")
            return
        }
        let now = Format.nowMs()
        let rows = incidents.map { i -> [String] in
            let first = i["first_alarm"]
            let what = "\(first?["type"]?.cell ?? "-") at \(first?["location"]?.cell ?? first?["device"]?.cell ?? "-")"
            let types = (i["types"]?.array ?? []).map { $0.cell }.joined(separator: ",")
            return [
                (i["severity"]?.cell ?? "-").uppercased(), i["state"]?.cell ?? "-", i["unit"]?.cell ?? "-", what,
                Format.time(i["started_at"]?.int64), Format.ago(i["updated_at"]?.int64, now: now),
                "\(i["active_alarm_count"]?.cell ?? "-")/\(i["alarm_count"]?.cell ?? "-")", types,
                "\((i["devices"]?.array ?? []).count)", i["incident_id"]?.cell ?? "-",
            ]
        }
        print(Format.table(["SEVERITY", "STATE", "UNIT", "FIRST ALARM", "SINCE", "UPDATED", "ACTIVE/ALARMS", "TYPES", "DEVICES", "INCIDENT ID"], rows))
    }
}

struct Ack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Acknowledge an alarm: the registry receives an 'acknowledged' transition.",
        discussion: """
            Take the alarm id from `rentguardctl alarms --active` (last column).

            Examples:
              rentguardctl ack 'demo:smoke:SD-101-1:1718000000000'
              rentguardctl ack 'demo:smoke:SD-101-1:1718000000000' \\
                  --by 'Li Wei' --note 'kitchen smoke, no fire'

            Exit status 4: no such alarm; 5: already acknowledged or cleared.
            """)

    @ParentCommand var root: RentGuardCtl
    @OptionGroup(title: "Global options") var local: GlobalOptions
    var global: GlobalOptions { root.global.merged(with: local) }

    @Argument(help: ArgumentHelp("The alarm's id.", valueName: "alarm-id"))
    var alarmID: String

    @Option(name: .long, help: "Why, or what was found on site (at most 500 characters).")
    var note: String?

    @Option(name: .long, help: "Who acknowledges (default: the login name).")
    var by: String?

    func validate() throws {
        guard !alarmID.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("the alarm id is empty") }
        if let note, note.count > 500 { throw ValidationError("--note is limited to 500 characters") }
        if let by, by.trimmingCharacters(in: .whitespaces).isEmpty || by.count > 64 { throw ValidationError("--by must be 1 to 64 characters") }
    }

    var operatorName: String {
        if let by { return by }
        let env = ProcessInfo.processInfo.environment
        for key in ["SUDO_USER", "USER", "LOGNAME"] {
            if let v = env[key], !v.isEmpty { return v }
        }
        return "operator"
    }

    func run() async throws {
        let c = try global.client()
        var members: [(String, JSONValue)] = [("by", .string(operatorName))]
        if let note { members.append(("note", .string(note))) }
        let incident = alarmID.hasPrefix("inc:")
        let path = (incident ? "/api/v1/incidents/" : "/api/v1/alarms/")
            + (alarmID.addingPercentEncoding(withAllowedCharacters: .urlPathSegmentAllowed) ?? alarmID) + "/ack"
        let r = try await c.post(path, json: .object(members))
        try c.check(r)
        if global.json {
            print(r.text, terminator: r.text.hasSuffix("\n") ? "" : "\n")
        } else {
            let count = (try? JSONParser.parse(Array(r.text.utf8)))?["alarm_ids"]?.arrayValue?.count
            print(incident
                ? "acknowledged \(count ?? 0) alarms of \(alarmID) by \(operatorName); the registry will receive their 'acknowledged' transitions"
                : "acknowledged \(alarmID) by \(operatorName); the registry will receive the 'acknowledged' transition")
        }
    }
}

extension CharacterSet {
    /// RFC 3986 pchar without "/".
    static let urlPathSegmentAllowed: CharacterSet = {
        var s = CharacterSet.urlPathAllowed
        s.remove("/")
        s.remove("#")
        s.remove("?")
        return s
    }()
}

struct Devices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List registered devices and when they last reported.",
        discussion: """
            Examples:
              rentguardctl devices
              rentguardctl devices --offline
            """)

    @ParentCommand var root: RentGuardCtl
    @OptionGroup(title: "Global options") var local: GlobalOptions
    var global: GlobalOptions { root.global.merged(with: local) }

    @Flag(name: .long, help: "Only devices that are offline or never reported.")
    var offline = false

    func run() async throws {
        guard let body = try await global.fetch("/api/v1/devices?offline=\(offline)") else { return }
        let devices = body["devices"]?.array ?? []
        if devices.isEmpty {
            print(offline ? "no offline devices" : "no devices")
            return
        }
        let now = Format.nowMs()
        let rows = devices.map { d -> [String] in
            let seen = d["last_seen"]?.int64
            let state = d["offline"]?.bool == true ? (seen == nil ? "NEVER SEEN" : "OFFLINE") : "online"
            return [d["device"]?.cell ?? "-", d["kind"]?.cell ?? "-", d["unit"]?.cell ?? "-", d["location"]?.cell ?? "-", state, Format.ago(seen, now: now)]
        }
        print(Format.table(["DEVICE", "KIND", "UNIT", "LOCATION", "STATE", "LAST SEEN"], rows))
    }
}

struct Occupancy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Registered and estimated occupants per unit, and suspected group rentals.",
        discussion: "Example: rentguardctl occupancy")

    @ParentCommand var root: RentGuardCtl
    @OptionGroup(title: "Global options") var local: GlobalOptions
    var global: GlobalOptions { root.global.merged(with: local) }

    func run() async throws {
        guard let body = try await global.fetch("/api/v1/occupancy") else { return }
        let units = body["units"]?.array ?? []
        if units.isEmpty {
            print("no units")
            return
        }
        let rows = units.map { u -> [String] in
            var range = "-"
            if let lo = u["low"]?.doubleValue, let hi = u["high"]?.doubleValue { range = "\(Format.number(lo))-\(Format.number(hi))" }
            let reasons = (u["reasons"]?.array ?? []).compactMap(\.string).joined(separator: "; ")
            return [
                u["unit"]?.cell ?? "-", u["floor"]?.cell ?? "-", (u["area_m2"]?.cell ?? "-") + " m²", u["registered_occupants"]?.cell ?? "-",
                u["estimated_occupants"]?.cell ?? "-", range, u["group_rental_suspected"]?.bool == true ? "SUSPECTED" : "-", reasons.isEmpty ? "-" : reasons,
            ]
        }
        print(Format.table(["UNIT", "FLOOR", "AREA", "REGISTERED", "ESTIMATED", "RANGE", "GROUP RENTAL", "REASONS"], rows))
    }
}

struct Outbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Messages waiting for delivery, per destination (registry, landlords).",
        discussion: "Example: rentguardctl outbox")

    @ParentCommand var root: RentGuardCtl
    @OptionGroup(title: "Global options") var local: GlobalOptions
    var global: GlobalOptions { root.global.merged(with: local) }

    func run() async throws {
        guard let body = try await global.fetch("/api/v1/outbox") else { return }
        let destinations = body["destinations"]?.array ?? []
        if destinations.isEmpty {
            print("no delivery destinations are configured")
            return
        }
        let now = Format.nowMs()
        let rows = destinations.map { d -> [String] in
            let oldest = d["oldest_pending_at"]?.int64
            return [
                d["destination"]?.cell ?? "-", d["pending"]?.cell ?? "-", d["dead"]?.cell ?? "-", d["delivered"]?.cell ?? "-",
                oldest.map { Format.duration(seconds: Double(now - $0) / 1000) } ?? "-", Format.ago(d["last_delivered_at"]?.int64, now: now),
            ]
        }
        print(Format.table(["DESTINATION", "PENDING", "REFUSED", "DELIVERED", "OLDEST PENDING", "LAST DELIVERY"], rows))
    }
}

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The ledger (台账) report of a period: alarms and their handling, devices, occupancy.",
        discussion: """
            Periods are 1st-9th, 10th-19th and 20th-end of month unless reports.period_end_days
            says otherwise; the gateway writes each one to <state_dir>/reports/ when it closes
            and sends it to the registry. This builds one now from the gateway's database.

            Examples:
              rentguardctl report                                 the last closed period, as CSV
              rentguardctl report --period 2026-03-05 --format html > ledger.html
              rentguardctl report --period 2026-03-01_2026-03-31 --format json
              rentguardctl report --list                          the reports written so far
            """)

    @ParentCommand var root: RentGuardCtl
    @OptionGroup(title: "Global options") var local: GlobalOptions
    var global: GlobalOptions { root.global.merged(with: local) }

    @Option(name: .long, help: ArgumentHelp(
        "last (default), current, a day YYYY-MM-DD (the period holding it), or FIRST_LAST as YYYY-MM-DD_YYYY-MM-DD.",
        valueName: "period"))
    var period: String?

    @Option(name: .long, help: ArgumentHelp("csv (default), html or json.", valueName: "format"))
    var format: String = "csv"

    @Flag(name: .long, help: "List the reports the gateway has written.")
    var list = false

    func validate() throws {
        guard ["csv", "html", "json"].contains(format) else { throw ValidationError("--format must be csv, html or json") }
        if list, period != nil { throw ValidationError("--list takes no --period") }
    }

    func run() async throws {
        if list {
            guard let body = try await global.fetch("/api/v1/reports") else { return }
            let reports = body["reports"]?.array ?? []
            if reports.isEmpty {
                print("no reports written yet")
                return
            }
            let rows = reports.map { r -> [String] in
                [r["period"]?.cell ?? "-", r["created_at"]?.int64.map(Format.time) ?? "-", r["message_id"]?.cell ?? "-",
                 (r["files"]?.array ?? []).compactMap(\.string).joined(separator: " ")]
            }
            print(Format.table(["PERIOD", "WRITTEN", "MESSAGE ID", "FILES"], rows))
            return
        }
        let c = try global.client()
        var query = "format=\(format)"
        if let period {
            let encoded = period.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? period
            query += "&period=\(encoded)"
        }
        let r = try await c.get("/api/v1/report?\(query)")
        try c.check(r)
        FileHandle.standardOutput.write(Data(r.body))
    }
}
