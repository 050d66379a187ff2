// rentguard-eval: accuracy of the detection core on real data sets.
//
//   rentguard-eval daiad --data ../shared/data/daiad-water [--set rule.param=value]... [--half tune|test|all] [--rotations N] [--verbose]
//   rentguard-eval block [--scenario simulator/scenarios/overcrowded_block.yaml] [--days 35] [--set rule.param=value]...
//   rentguard-eval ebike --data ../shared/data [--set rule.param=value]... [--seeds N] [--hours FROM-TO] [--verbose]
//   rentguard-eval leak  --data ../shared/data/daiad-water [--set rule.param=value]... [--verbose]
//
// ebike: charges built from the NASA B0025 curves injected into household-power 2007,
// tuned on the odd months, reported on the even months (docs/detection.md).
// leak: water-leak alarms on DAIAD trial A per 100 meter-days, tuning and held-out halves.
//
// daiad: replays DAIAD trial A hourly water-meter readings through OccupancyEstimator in
// event time, with honest, under-registered and pooled units, tuning and held-out halves.
// block: the simulator's overcrowded block, run long. See docs/occupancy.md.
import Foundation
import RentGuardCore

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

let usage = """
    usage: rentguard-eval daiad --data DIR [--set rule.param=value]... [--half tune|test|all] [--rotations N] [--verbose]
           rentguard-eval block [--scenario FILE] [--days N] [--set rule.param=value]...
           rentguard-eval ebike --data DIR(shared/data) [--set rule.param=value]... [--seeds N] [--hours FROM-TO] [--verbose]
           rentguard-eval leak  --data DIR(daiad-water) [--set rule.param=value]... [--verbose]
      --set           threshold override, e.g. --set group_rental.use_low_bound=0 (repeatable)
      --half H        daiad: tune (even-indexed households), test (odd, held out; default both), all
      --rotations N   daiad: buildings per half with different pooled/under-registered units (default 5)
      --scenario F    block: the scenario (default simulator/scenarios/overcrowded_block.yaml)
      --days N        block: days to run (default 35)
    """

var args = Array(CommandLine.arguments.dropFirst())
guard let command = args.first, ["daiad", "ebike", "leak", "block"].contains(command) else { fail(usage) }
args.removeFirst()
var seedCount = 3
var hours: (Double, Double) = (18, 30)
var verbose = false
var dataDir: String? = nil
var overrides: [String: [String: Double]] = [:]
var limit = Int.max
var half = "both"
var rotations = 5
var scenarioPath = "simulator/scenarios/overcrowded_block.yaml"
var blockDays = 35
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
    case "--half":
        guard !args.isEmpty else { fail(usage) }
        half = args.removeFirst()
        guard ["tune", "test", "all", "both"].contains(half) else { fail(usage) }
    case "--rotations":
        guard !args.isEmpty, let n = Int(args.removeFirst()), n > 0 else { fail(usage) }
        rotations = n
    case "--scenario":
        guard !args.isEmpty else { fail(usage) }
        scenarioPath = args.removeFirst()
    case "--days":
        guard !args.isEmpty, let n = Int(args.removeFirst()), n > 0 else { fail(usage) }
        blockDays = n
    case "--verbose": verbose = true
    case "--seeds":
        guard !args.isEmpty, let n = Int(args.removeFirst()), n > 0 else { fail(usage) }
        seedCount = n
    case "--hours":
        guard !args.isEmpty else { fail(usage) }
        let p = args.removeFirst().split(separator: "-").compactMap { Double($0) }
        guard p.count == 2, p[1] > p[0] else { fail(usage) }
        hours = (p[0], p[1])
    case "-h", "--help":
        print(usage)
        exit(0)
    default: fail("unknown argument \(a)\n" + usage)
    }
}
let started = Date()
if command == "block" {
    do {
        print(try BlockEvaluation(scenarioPath: scenarioPath, days: blockDays, overrides: overrides, verbose: verbose).run())
    } catch {
        fail("cannot run \(scenarioPath): \(error)")
    }
    print(String(format: "(%.1f s)", Date().timeIntervalSince(started)))
    exit(0)
}
guard let dir = dataDir else { fail(usage) }

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

var eval = DAIADEvaluation(data: data, overrides: overrides)
eval.rotations = rotations
eval.verboseDays = verbose
let idx = Array(data.households.indices)
if half == "tune" || half == "both" {
    eval.run(title: "tuning half (even-indexed households, \(idx.filter { $0 % 2 == 0 }.count))", households: idx.filter { $0 % 2 == 0 }, seed: 1).print(verbose: verbose)
}
if half == "test" || half == "both" {
    eval.run(title: "held-out half (odd-indexed households, \(idx.filter { $0 % 2 == 1 }.count))", households: idx.filter { $0 % 2 == 1 }, seed: 2).print(verbose: verbose)
}
if half == "all" {
    eval.pooledPerBuilding = 5
    eval.run(title: "all \(idx.count) households, 5 pooled units per building", households: idx, seed: 3).print(verbose: verbose)
}
print(String(format: "(%.1f s)", Date().timeIntervalSince(started)))
