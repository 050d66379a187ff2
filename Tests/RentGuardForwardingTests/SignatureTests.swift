import RentGuardForwarding
import Testing

/// HMAC-SHA256 against RFC 4231's test vectors, and the header format of protocol v1 §3.
struct SignatureTests {
    @Test func rfc4231TestCase1() {
        let key = [UInt8](repeating: 0x0b, count: 20)
        let mac = Signature.hmacSHA256(key: key, message: Array("Hi There".utf8))
        #expect(Signature.hex(mac) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test func rfc4231TestCase2() {
        let mac = Signature.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Signature.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func rfc4231TestCase6LongKey() {
        let key = [UInt8](repeating: 0xaa, count: 131)
        let mac = Signature.hmacSHA256(key: key, message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(Signature.hex(mac) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func headerIsSha256PrefixedLowercaseHex() {
        let h = Signature.header(secret: Array("Jefe".utf8), body: Array("what do ya want for nothing?".utf8))
        #expect(h == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
