import CCrypto

/// The `X-RG-Signature` header of HTTPS deliveries (protocol v1 §3): an HMAC-SHA256 of the
/// exact body bytes with the gateway's shared secret, as `sha256=<lowercase hex>`.
public enum Signature {
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        hmac(EVP_sha256(), key: key, message: message)
    }

    /// OpenSSL's one-shot HMAC with `digest` (at most 64 bytes out: SHA-512's size).
    static func hmac(_ digest: OpaquePointer?, key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 64
        key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                _ = HMAC(digest, k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
        }
        return Array(out.prefix(Int(length)))
    }

    public static func header(secret: [UInt8], body: [UInt8]) -> String {
        "sha256=" + hex(hmacSHA256(key: secret, message: body))
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var s = [UInt8]()
        s.reserveCapacity(bytes.count * 2)
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: s, as: UTF8.self)
    }
}
