#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// GB 18030 text (the standard's encoding of descriptions, §8.2.1.2), through iconv(3)
/// from the C library: no ICU. Every Unicode scalar has a GB 18030 encoding (1, 2 or 4
/// bytes), so encoding never loses a character; only truncation to a field's length can.
public enum GB18030 {
    /// `text` in GB 18030, cut at a character boundary to at most `maxBytes`; nil when the
    /// C library has no GB 18030 converter.
    public static func encode(_ text: String, maxBytes: Int = Int.max) -> [UInt8]? {
        var out: [UInt8] = []
        for ch in text.unicodeScalars {
            guard let b = convert(Array(String(ch).utf8), from: "UTF-8", to: "GB18030") else { return nil }
            if out.count + b.count > maxBytes { break }
            out += b
        }
        return out
    }

    /// GB 18030 bytes as text (trailing NUL padding removed); nil if they are not valid.
    public static func decode(_ bytes: [UInt8]) -> String? {
        var b = bytes
        while b.last == 0 { b.removeLast() }
        guard let u = convert(b, from: "GB18030", to: "UTF-8") else { return nil }
        return String(decoding: u, as: UTF8.self)
    }

    /// Whether the C library can convert to and from GB 18030 here.
    public static var isAvailable: Bool { convert([0x41], from: "UTF-8", to: "GB18030") != nil }

    static func convert(_ input: [UInt8], from: String, to: String) -> [UInt8]? {
        let cd = iconv_open(to, from)
        guard let cd, cd != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(cd) }
        if input.isEmpty { return [] }
        var inBytes = input.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: input.count * 4 + 8)
        let produced: Int? = inBytes.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = inBuf.baseAddress
                var inLeft = inBuf.count
                var outPtr: UnsafeMutablePointer<CChar>? = outBuf.baseAddress
                var outLeft = outBuf.count
                let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                guard r != -1 && r != Int.max, inLeft == 0 else { return nil }
                return outBuf.count - outLeft
            }
        }
        guard let produced else { return nil }
        return output[0..<produced].map { UInt8(bitPattern: $0) }
    }
}
