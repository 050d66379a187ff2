// rentguard-eval: accuracy of the detection core on real data sets.
//
//   rentguard-eval daiad --data ../shared/data/daiad-water [--set rule.param=value]... [--households N] [--per-household]
//   rentguard-eval ebike --data ../shared/data [--set rule.param=value]... [--seeds N] [--hours FROM-TO] [--verbose]
//   rentguard-eval leak  --data ../shared/data/daiad-water [--set rule.param=value]... [--verbose]
//
// ebike: charges built from the NASA B0025 curves injected into household-power 2007,
// tuned on the odd months, reported on the even months (docs/detection.md).
// leak: water-leak alarms on DAIAD trial A per 100 meter-days, tuning and held-out halves.
//
// Replays DAIAD trial A hourly water-meter readings (one unit per household, registered =
// its real size) through OccupancyEstimator in event time, and prints the occupancy and
// group-rental accuracy. See docs/occupancy.md for the method and the figures.
import Foundation
import RentGuardCore

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

let usage = """
    usage: rentguard-eval daiad --data DIR [--set rule.param=value]... [--households N] [--per-household] [--pooled]
           rentguard-eval ebike --data DIR(shared/data) [--set rule.param=value]... [--seeds N] [--hours FROM-TO] [--verbose]
           rentguard-eval leak  --data DIR(daiad-water) [--set rule.param=value]... [--verbose]
      --set           threshold override, e.g. --set group_rental.use_low_bound=0 (repeatable)
      --households N  only the first N households (quick runs)
      --per-household print each household's mean estimate, bounds and error
      --pooled        also evaluate pooled units (three real households behind one registration)
    """

var args = Array(CommandLine.arguments.dropFirst())
guard let command = args.first, ["daiad", "ebike", "leak"].contains(command) else { fail(usage) }
args.removeFirst()
var seedCount = 3
var hours: (Double, Double) = (18, 30)
var verbose = false
var dataDir: String? = nil
var overrides: [String: [String: Double]] = [:]
var limit = Int.max
var perHousehold = false
var pooled = false
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--data":
        guard !args.isEmpty else { fail(usage) }
        dataDir = args.removeFirst()
    case "--set":
        guard !args.isEmpty else { fail(usage) }
        let kv = args.removeFirst()
        let parts = kv.split(separator: "=", maxSplits: 1).map(String.init)
        let key = parts.first?.split(separator: ".", maxSplits: 1).map(String.init) ?? []
        guard parts.count == 2, key.count == 2, let v = Double(parts[1]) else { fail("bad --set \(kv)") }
        overrides[key[0], default: [:]][key[1]] = v
    case "--households":
        guard !args.isEmpty, let n = Int(args.removeFirst()), n > 0 else { fail(usage) }
        limit = n
    case "--per-household": perHousehold = true
    case "--verbose": verbose = true
    case "--seeds":
        guard !args.isEmpty, let n = Int(args.removeFirst()), n > 0 else { fail(usage) }
        seedCount = n
    case "--hours":
        guard !args.isEmpty else { fail(usage) }
        let p = args.removeFirst().split(separator: "-").compactMap { Double($0) }
        guard p.count == 2, p[1] > p[0] else { fail(usage) }
        hours = (p[0], p[1])
    case "--pooled": pooled = true
    case "-h", "--help":
        print(usage)
        exit(0)
    default: fail("unknown argument \(a)\n" + usage)
    }
}
guard let dir = dataDir else { fail(usage) }

let started = Date()
if command == "ebike" {
    do {
        let power = try HouseholdPowerData.load(directory: dir + "/household-power")
        let curves = try NASACurves.load(path: dir + "/nasa-battery-charging/B0025_charge_cycles.csv")
        print("household-power 2007: \(power.watts.count) minutes; NASA B0025: \(curves.cc.count) full CC-CV cycles; charges start \(hours.0)–\(hours.1) h local, one every 3 days, \(seedCount) seeds")
        var ev = EbikeEvaluation(data: power, curves: curves, overrides: overrides)
        ev.startHours = hours
        ev.seeds = (1...seedCount).map { UInt64($0) }
        let (train, test) = ev.run(verbose: verbose)
        print(EbikeEvaluation.describe("training months (Jan, Mar, May, Jul, Sep, Nov)", train))
        print(EbikeEvaluation.describe("held-out months (Feb, Apr, Jun, Aug, Oct, Dec)", test))
    } catch {
        fail("cannot read \(dir): \(error)")
    }
    print(String(format: "(%.1f s)", Date().timeIntervalSince(started)))
    exit(0)
}
let data: DAIADData
do {
    data = try DAIADData.load(directory: dir, limit: limit)
} catch {
    fail("cannot read \(dir): \(error)")
}
if command == "leak" {
    print(LeakEvaluation(data: data, overrides: overrides).run(verbose: verbose))
    print(String(format: "(%.1f s)", Date().timeIntervalSince(started)))
    exit(0)
}
print("DAIAD trial A: \(data.households.count) households with a size (\(data.skipped) skipped without one), \(data.readingCount) readings, \(data.days) days")

let eval = DAIADEvaluation(data: data, overrides: overrides)
let report = eval.run(printPerHousehold: perHousehold)
report.print()
if pooled { eval.runPooled().print() }
print(String(format: "(%.1f s)", Date().timeIntervalSince(started)))
