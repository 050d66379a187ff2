import Foundation

/// E-bike charges built from the NASA Ames B0025 CC-CV charge curves
/// (../shared/data/nasa-battery-charging): the cell voltage over the constant-current phase
/// and the current's decay over the constant-voltage phase, scaled to a pack.
struct NASACurves {
    /// Per full cycle: cell voltage at 101 evenly spaced points of the CC phase.
    var cc: [[Double]] = []
    /// Per full cycle: current / CC current at 101 evenly spaced points of the CV phase.
    var cv: [[Double]] = []

    static func load(path: String) throws -> NASACurves {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw DAIADData.LoadError.missing(path) }
        var cycles: [Int: [(t: Double, v: Double, i: Double)]] = [:]
        var first = true
        for line in text.split(whereSeparator: \.isNewline) {
            if first { first = false; continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 7, let c = Int(f[0]), let t = Double(f[4]), let v = Double(f[5]), let i = Double(f[6]) else { continue }
            cycles[c, default: []].append((t, v, i))
        }
        var out = NASACurves()
        for k in cycles.keys.sorted() {
            let s = cycles[k]!
            guard let ccEndIdx = s.lastIndex(where: { $0.i > 1.4 }), let ccStartIdx = s.firstIndex(where: { $0.i > 1.4 }) else { continue }
            let t0 = s[ccStartIdx].t, tcc = s[ccEndIdx].t, tEnd = s[s.count - 1].t
            guard tcc - t0 >= 0.8 * 3600, tEnd - tcc >= 1800 else { continue }  // full charges only
            func resample(_ from: Int, _ to: Int, _ value: ((t: Double, v: Double, i: Double)) -> Double) -> [Double] {
                let ta = s[from].t, tb = s[to].t
                var r: [Double] = []
                var j = from
                for q in 0...100 {
                    let tq = ta + (tb - ta) * Double(q) / 100
                    while j < to && s[j + 1].t < tq { j += 1 }
                    r.append(value(s[j]))
                }
                return r
            }
            out.cc.append(resample(ccStartIdx, ccEndIdx) { $0.v })
            out.cv.append(resample(ccEndIdx, s.count - 1) { max(0, min(1, $0.i / 1.5)) })
        }
        return out
    }
}

/// One injected charge: its AC power per minute from `start`.
struct InjectedCharge {
    var start: Int64
    var watts: [Double]
    var end: Int64 { start + Int64(watts.count) * 60_000 }
    var packV: Int
    var currentA: Double
    var soc: Double
    var ccHours: Double
    var cvHours: Double
    var meanW: Double { watts.reduce(0, +) / Double(max(1, watts.count)) }
    var peakW: Double { watts.max() ?? 0 }

    /// A 48 V (13 cells) or 60 V (16 cells) pack of 10–20 Ah on a 1.5–4 A charger, starting
    /// at 5–60 % state of charge; CC to ≈ 80 %, then a 1–3 h CV taper; AC power = V·I /
    /// efficiency (0.82–0.90) + 3 W, with 0.5 % ripple.
    static func make(start: Int64, curves: NASACurves, rng: inout SplitMix) -> InjectedCharge {
        let cells = rng.uniform() < 0.5 ? 13 : 16
        let current = 1.5 + 2.5 * rng.uniform()
        let capacity = 10 + 10 * rng.uniform()
        let soc = 0.05 + 0.55 * rng.uniform()
        let ccHours = max(0.3, capacity * (0.8 - soc) / current)
        let cvHours = 1 + 2 * rng.uniform()
        let eff = 0.82 + 0.08 * rng.uniform()
        let k = Int(rng.uniform() * Double(curves.cc.count)) % curves.cc.count
        let cc = curves.cc[k], cv = curves.cv[k]
        func interp(_ a: [Double], _ x: Double) -> Double {
            let u = max(0, min(1, x)) * 100
            let i = min(99, Int(u))
            return a[i] + (a[i + 1] - a[i]) * (u - Double(i))
        }
        let u0 = soc / 0.8  // the share of the CC phase already done
        var w: [Double] = []
        let ccMin = Int(ccHours * 60), cvMin = Int(cvHours * 60)
        for m in 0..<(ccMin + cvMin) {
            let p: Double
            if m < ccMin {
                let v = interp(cc, u0 + (1 - u0) * Double(m) / Double(max(1, ccMin)))
                p = Double(cells) * v * current / eff
            } else {
                let f = interp(cv, Double(m - ccMin) / Double(max(1, cvMin)))
                p = Double(cells) * 4.2 * current * f / eff
            }
            w.append(p * (1 + 0.005 * rng.normal()) + 3)
        }
        return InjectedCharge(start: start, watts: w, packV: cells == 13 ? 48 : 60, currentA: current, soc: soc, ccHours: ccHours, cvHours: cvHours)
    }
}

/// SplitMix64 with uniform and normal draws (deterministic per seed).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-12), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
