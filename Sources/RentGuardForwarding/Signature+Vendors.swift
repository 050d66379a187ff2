import CCrypto
import Foundation

/// The digests and encodings the vendors' signing schemes use (docs/landlord-channels.md),
/// from OpenSSL's libcrypto like `Signature.hmacSHA256`.
extension Signature {
    public static func sha256(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        message.withUnsafeBufferPointer { m in
            _ = EVP_Digest(m.baseAddress, m.count, &out, &length, EVP_sha256(), nil)
        }
        return Array(out.prefix(Int(length)))
    }

    public static func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        hmac(EVP_sha1(), key: key, message: message)
    }

    public static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// RFC 3986 percent-encoding: everything but `A–Z a–z 0–9 - _ . ~` as `%XX` (upper-case
    /// hex) of its UTF-8 bytes. (DingTalk's `sign`, Alibaba's canonical query.)
    public static func percentEncode(_ s: String) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hexDigits[Int(b >> 4)], hexDigits[Int(b & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
