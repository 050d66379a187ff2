import Foundation

// Built for fuzzing (`scripts/fuzz.sh`: `swift build --sanitize=fuzzer --sanitize=address
// -Xswiftc -DRENTGUARD_FUZZ`), this executable is libFuzzer's: libFuzzer's `main` calls
// `LLVMFuzzerTestOneInput` for every input, on the target `RENTGUARD_FUZZ_TARGET` names.
// In the normal build it replays files through a target without a sanitizer:
//   rentguard-fuzz <target> <file>...

#if RENTGUARD_FUZZ
nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if selected == nil {
        let name = ProcessInfo.processInfo.environment["RENTGUARD_FUZZ_TARGET"] ?? ""
        guard let t = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("RENTGUARD_FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        selected = t
    }
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    selected?.run(bytes)
    return 0
}
#else
@main enum Replay {
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        guard let name = args.first, let target = FuzzTarget(rawValue: name) else {
            print("""
                usage: rentguard-fuzz <target> <file>...
                Runs each file through a fuzz target once (a crash found by scripts/fuzz.sh, replayed
                without the sanitizers). Targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")).
                To fuzz, build with scripts/fuzz.sh (docs/fuzzing.md).
                """)
            exit(args.first == "--help" ? 0 : 2)
        }
        for path in args.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("cannot read \(path)")
                exit(1)
            }
            target.run(Array(data))
            print("\(path): ok")
        }
    }
}
#endif
