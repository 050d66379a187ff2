import RentGuardForwarding
import Testing

struct DoorbellTests {
    @Test func ringWakesAWaiter() async {
        let bell = Doorbell()
        async let woke = bell.wait(timeout: .seconds(10))
        // The waiter parks first, so that the ring wakes it (not the kept-ring path).
        let deadline = ContinuousClock.now + .seconds(10)
        while !bell.hasWaiter && ContinuousClock.now < deadline { await Task.yield() }
        #expect(bell.hasWaiter, "the waiter parked")
        bell.ring()
        #expect(await woke == true)
    }

    @Test func aRingWhileNobodyWaitsIsKept() async {
        let bell = Doorbell()
        bell.ring()
        bell.ring()
        #expect(await bell.wait(timeout: .seconds(10)) == true)
        #expect(await bell.wait(timeout: .milliseconds(50)) == false, "rings coalesce")
    }

    @Test func timesOutWithoutARing() async {
        #expect(await Doorbell().wait(timeout: .milliseconds(30)) == false)
    }
}
