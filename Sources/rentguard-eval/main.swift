// rentguard-eval: accuracy of the detection core on real data sets.
//
//   rentguard-eval daiad --data ../shared/data/daiad-water [--set rule.param=value]... [--households N] [--per-household]
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
      --set           threshold override, e.g. --set group_rental.use_low_bound=0 (repeatable)
      --households N  only the first N households (quick runs)
      --per-household print each household's mean estimate, bounds and error
      --pooled        also evaluate pooled units (three real households behind one registration)
    """

var args = Array(CommandLine.arguments.dropFirst())
guard args.first == "daiad" else { fail(usage) }
args.removeFirst()
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
    case "--pooled": pooled = true
    case "-h", "--help":
        print(usage)
        exit(0)
    default: fail("unknown argument \(a)\n" + usage)
    }
}
guard let dir = dataDir else { fail(usage) }

let started = Date()
let data: DAIADData
do {
    data = try DAIADData.load(directory: dir, limit: limit)
} catch {
    fail("cannot read \(dir): \(error)")
}
print("DAIAD trial A: \(data.households.count) households with a size (\(data.skipped) skipped without one), \(data.readingCount) readings, \(data.days) days")

let eval = DAIADEvaluation(data: data, overrides: overrides)
let report = eval.run(printPerHousehold: perHousehold)
report.print()
if pooled { eval.runPooled().print() }
print(String(format: "(%.1f s)", Date().timeIntervalSince(started)))
