import RentGuardCentre
import RentGuardCore
import Testing

/// The GB/T 26875.3-2011 codec against byte-exact vectors. How each was derived is in
/// docs/centre-link.md ("Test vectors"): V1-V3 are the worked examples published with the
/// standard's summaries (checked here: their checksums are the byte sums), V4-V5 were worked
/// out by hand from the layouts (§6.6, §8.2.1.2, §8.3.1.2, §8.3.1.9).
@Suite struct CentreCodecTests {
    static func hex(_ s: String) -> [UInt8] { s.split(separator: " ").map { UInt8($0, radix: 16)! } }

    /// 2012-09-26 09:58:35, the time tag of V1 and V3.
    static let t35 = CentreTime(second: 35, minute: 58, hour: 9, day: 26, month: 9, year: 12)
    static let t32 = CentreTime(second: 32, minute: 58, hour: 9, day: 26, month: 9, year: 12)
    static let t02 = CentreTime(second: 2, minute: 58, hour: 9, day: 26, month: 9, year: 12)

    // V1: the centre's confirm of serial 1 (version 1.1, centre 0x015B38 → device 0x0379).
    static let v1Confirm = hex("40 40 01 00 01 01 23 3A 09 1A 09 0C 38 5B 01 00 00 00 79 03 00 00 00 00 00 00 03 AB 23 23")
    // V2: a device's type-2 packet, "zone 10 position 2, smoke detector, fire", description spaces.
    static let v2Fire = hex(
        "40 40 01 00 01 01 20 3A 09 1A 09 0C 79 03 00 00 00 00 38 5B 01 00 00 00 30 00 02 02 01 01 01 28 0A 00 02 00 02 00 "
            + "20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 00 02 3A 09 1A 09 0C 46 23 23")
    // V3: a device's type-21 packet, running status 0x08 (main power fault).
    static let v3Status = hex("40 40 01 00 01 01 20 3A 09 1A 09 0C 79 03 00 00 00 00 38 5B 01 00 00 00 09 00 02 15 01 08 02 3A 09 1A 09 0C 42 23 23")

    @Test func publishedConfirmEncodesByteForByte() {
        let f = CentreFrame(serial: 1, userVersion: 1, time: Self.t35, source: 0x015B38, destination: 0x0379, command: .confirm)
        #expect(f.encoded() == Self.v1Confirm)
        #expect(f.controlUnit.count == 25)
    }

    @Test func publishedTypeTwoPacketDecodesAndReencodes() throws {
        guard case let .frame(f, length) = CentreFrame.decode(Self.v2Fire[...]) else {
            Issue.record("V2 did not decode")
            return
        }
        #expect(length == 78)
        #expect(f.serial == 1 && f.mainVersion == 1 && f.userVersion == 1)
        #expect(f.time == Self.t32)
        #expect(f.source == 0x0379 && f.destination == 0x015B38)
        #expect(f.knownCommand == .sendData)
        let unit = try #require(CentreDataUnit(f.data))
        #expect(unit.type == 2 && unit.count == 1 && unit.objects.count == ComponentStatus.length)
        // Rebuild the object from its fields and the packet from it: the same 78 bytes.
        let o = ComponentStatus(
            systemType: 1, systemAddress: 1, componentType: 40, zone: 10, position: 2, status: .fireAlarm,
            description: [UInt8](repeating: 0x20, count: 30) + [0], time: Self.t02)
        #expect(o.bytes == unit.objects)
        let again = CentreFrame(
            serial: 1, userVersion: 1, time: Self.t32, source: 0x0379, destination: 0x015B38, command: .sendData,
            data: CentreDataUnit.componentStatus([o]).bytes)
        #expect(again.encoded() == Self.v2Fire)
    }

    @Test func publishedRunningStatusEncodesByteForByte() {
        let f = CentreFrame(
            serial: 1, userVersion: 1, time: Self.t32, source: 0x0379, destination: 0x015B38, command: .sendData,
            data: CentreDataUnit.deviceStatus(.mainPowerFault, at: Self.t02).bytes)
        #expect(f.encoded() == Self.v3Status)
    }

    // V4 (by hand): SD-1's smoke alarm as rentguardd sends it. Serial 7, version 1.0,
    // 2025-03-14 21:05:09 local, device address 1 → centre 0x015B38; system 1 (fire alarm
    // system) address 1, component 40 (smoke detector) at zone 1 position 1, status 0x0003
    // (normal operation + fire), "101室烟雾报警" in GB 18030 (13 bytes) + 18 NULs.
    // Control unit sum 284, data unit sum 2251: 2535 mod 256 = 0xE7.
    static let t4 = CentreTime(second: 9, minute: 5, hour: 21, day: 14, month: 3, year: 25)
    static let v4 = hex(
        "40 40 07 00 01 00 09 05 15 0e 03 19 01 00 00 00 00 00 38 5b 01 00 00 00 30 00 02 02 01 01 01 28 01 00 01 00 03 00 "
            + "31 30 31 ca d2 d1 cc ce ed b1 a8 be af 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 09 05 15 0e 03 19 e7 23 23")

    @Test func smokeAlarmReportEncodesToTheHandWorkedVector() throws {
        let report = CentreReport(
            messageID: "m", address: CentreAddress(systemType: 1, systemAddress: 1, componentType: 40, zone: 1, position: 1, label: "101室"),
            status: [.normalOperation, .fireAlarm], description: "101室烟雾报警", time: Self.t4)
        let object = try #require(report.object())
        let f = CentreFrame(serial: 7, time: Self.t4, source: 1, destination: 0x015B38, command: .sendData, data: CentreDataUnit.componentStatus([object]).bytes)
        #expect(f.encoded() == Self.v4)
    }

    // V5 (by hand): the running status "monitoring + fire" (0x03), serial 8, same time and
    // addresses: sums 0x5C.
    @Test func runningStatusEncodesToTheHandWorkedVector() {
        let f = CentreFrame(
            serial: 8, time: Self.t4, source: 1, destination: 0x015B38, command: .sendData,
            data: CentreDataUnit.deviceStatus([.monitoring, .fireAlarm], at: Self.t4).bytes)
        #expect(f.encoded() == Self.hex("40 40 08 00 01 00 09 05 15 0e 03 19 01 00 00 00 00 00 38 5b 01 00 00 00 09 00 02 15 01 03 09 05 15 0e 03 19 5c 23 23"))
    }

    @Test func timeTagIsLocalTimeInTheGatewayZone() {
        // 2012-09-26 01:58:02 UTC is 09:58:02 in China.
        #expect(CentreTime(unixMs: 1_348_624_682_000, zone: .chinaStandardTime) == Self.t02)
        #expect(CentreTime(unixMs: 1_741_957_509_000, zone: .chinaStandardTime) == Self.t4)
        #expect(Self.t4.unixMs(zone: .chinaStandardTime) == 1_741_957_509_000)
        #expect(CentreTime(unixMs: 0, zone: .utc).bytes == [0, 0, 0, 1, 1, 70])
    }

    @Test func addressesAreSixBytesLittleEndian() {
        #expect(CentreFrame.address(0x0000_0102_0304_0506) == [6, 5, 4, 3, 2, 1])
        #expect(CentreFrame.address(CentreFrame.addressMax) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func readerSplitsJoinedAndCutPackets() {
        var r = CentreFrameReader()
        let stream = Self.v1Confirm + Self.v3Status + Self.v2Fire
        // Fed in 7-byte pieces: each packet comes out whole, once.
        var got: [UInt8] = []
        var i = 0
        while i < stream.count {
            r.append(stream[i..<min(i + 7, stream.count)])
            i += 7
            while let d = r.next() {
                if case let .frame(f, _) = d { got.append(f.command) } else { Issue.record("unexpected \(d)") }
            }
        }
        #expect(got == [3, 2, 2])
        #expect(r.pending == 0)
    }

    @Test func badChecksumIsInvalidWithItsSerialSoItCanBeDenied() {
        var bad = Self.v1Confirm
        bad[27] = 0xAC
        guard case let .invalid(reason, skip, serial) = CentreFrame.decode(bad[...]) else {
            Issue.record("accepted a bad checksum")
            return
        }
        #expect(reason.contains("checksum"))
        #expect(skip == 30 && serial == 1)
    }

    @Test func garbageAndOversizedLengthsAreSkipped() {
        var r = CentreFrameReader()
        var oversized = Self.v1Confirm
        oversized[24] = 0x01
        oversized[25] = 0x04  // 1025 bytes
        r.append([0x00, 0x23, 0x41] + oversized + Self.v1Confirm)
        var frames = 0
        var invalid = 0
        while let d = r.next() {
            switch d {
            case .frame: frames += 1
            case .invalid: invalid += 1
            case .incomplete: break
            }
        }
        #expect(frames == 1)
        // The stray bytes and the oversized packet are one garbage run, reported once.
        #expect(invalid == 1)
    }

    /// Issue 27 item 7: one 64 KiB read of `@` bytes was 32,755 invalid packets (each `@@`
    /// a start with an impossible length), each answered with a deny and a log line. It is
    /// one garbage run now, however the bytes are cut, and the packet after it still decodes.
    @Test func aFloodOfStartBytesIsOneGarbageRun() {
        for piece in [65_536, 4096, 7] {
            var r = CentreFrameReader()
            var invalid: [CentreFrame.Decoded] = []
            var frames: [UInt8] = []
            let stream = [UInt8](repeating: 0x40, count: 65_536) + Self.v1Confirm
            var i = 0
            while i < stream.count {
                r.append(stream[i..<min(i + piece, stream.count)])
                i += piece
                while let d = r.next() {
                    switch d {
                    case let .frame(f, _): frames.append(f.command)
                    case .invalid: invalid.append(d)
                    case .incomplete: break
                    }
                }
                #expect(r.pending <= 4 * (CentreFrame.overhead + CentreFrame.maxDataLength), "bounded while the run lasts")
            }
            #expect(invalid.count == 1, "read in \(piece)-byte pieces: \(invalid.count) invalid")
            if case let .invalid(_, _, serial) = invalid.first { #expect(serial == 0x4040, "the run's first serial, so that it can be denied") }
            #expect(frames == [3], "the packet after the garbage is read")
        }
    }

    /// A bad packet after a good one, and again after the next good one: each is its own run.
    @Test func garbageRunsEndAtAValidPacket() {
        var bad = Self.v1Confirm
        bad[27] = 0xAC
        var r = CentreFrameReader()
        r.append(bad + Self.v1Confirm + bad + Self.v1Confirm + [0x00, 0x01])
        var seen: [String] = []
        while let d = r.next() {
            switch d {
            case .frame: seen.append("frame")
            case let .invalid(_, _, serial): seen.append("invalid \(serial.map(String.init) ?? "-")")
            case .incomplete: break
            }
        }
        #expect(seen == ["invalid 1", "frame", "invalid 1", "frame", "invalid -"])
        #expect(r.pending == 0)
    }

    @Test func gb18030CutsAtACharacterBoundary() throws {
        #expect(GB18030.isAvailable)
        // 16 two-byte characters are 32 bytes: 15 fit in 31.
        let sixteen = "一二三四五六七八九十一二三四五六"
        let cut = try #require(GB18030.encode(sixteen, maxBytes: 31))
        #expect(cut.count == 30)
        #expect(GB18030.decode(cut) == "一二三四五六七八九十一二三四五")
        // A four-byte sequence (U+1F600 is 94 39 FC 36) is never split.
        #expect(GB18030.encode("😀", maxBytes: 3) == [])
        #expect(GB18030.encode("a😀", maxBytes: 5) == [0x61, 0x94, 0x39, 0xFC, 0x36])
        #expect(GB18030.encode("101室烟雾报警") == Self.hex("31 30 31 ca d2 d1 cc ce ed b1 a8 be af"))
    }
}
