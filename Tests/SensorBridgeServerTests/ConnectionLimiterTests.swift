import Synchronization
import Testing
@testable import SensorBridgeServer

@Suite struct ConnectionLimiterTests {
    /// Which connections the limiter asked to close.
    final class Closed: Sendable {
        let ids = Mutex<[Int]>([])
        func closer(_ id: Int) -> @Sendable () -> Void { { self.ids.withLock { $0.append(id) } } }
        var list: [Int] { ids.withLock { $0 } }
    }

    private func id(_ admission: ConnectionLimiter.Admission) -> UInt64? {
        if case .admitted(let id) = admission { return id }
        return nil
    }

    @Test func aFullBridgeDisplacesTheOldestSilentConnection() {
        let limiter = ConnectionLimiter(maxConnections: 3, maxPerAddress: 100)
        let closed = Closed()
        let first = id(limiter.admit("10.0.0.1", close: closed.closer(1)))
        let second = id(limiter.admit("10.0.0.2", close: closed.closer(2)))
        _ = limiter.admit("10.0.0.3", close: closed.closer(3))
        limiter.spoke(first!)
        // Full: the oldest silent one (2) gives way; 1 has spoken and stays.
        #expect(id(limiter.admit("10.0.0.4", close: closed.closer(4))) != nil)
        #expect(closed.list == [2])
        #expect(limiter.displaced == 1)
        limiter.release(second!, address: "10.0.0.2")
        #expect(limiter.open == 3)
    }

    @Test func whenEveryConnectionTalksTheNewcomerIsRefused() {
        let limiter = ConnectionLimiter(maxConnections: 2, maxPerAddress: 100)
        let closed = Closed()
        for index in 0..<2 {
            limiter.spoke(id(limiter.admit("10.0.0.\(index)", close: closed.closer(index)))!)
        }
        #expect(limiter.admit("10.0.0.9", close: closed.closer(9)) == .full)
        #expect(closed.list.isEmpty)
        #expect(limiter.open == 2)
    }

    @Test func oneAddressIsBoundedButLoopbackIsNot() {
        let limiter = ConnectionLimiter(maxConnections: 1000, maxPerAddress: 2)
        let closed = Closed()
        let first = id(limiter.admit("192.168.1.9", close: closed.closer(1)))
        _ = limiter.admit("192.168.1.9", close: closed.closer(2))
        #expect(limiter.admit("192.168.1.9", close: closed.closer(3)) == .address)
        limiter.release(first!, address: "192.168.1.9")
        #expect(id(limiter.admit("192.168.1.9", close: closed.closer(4))) != nil)
        for index in 0..<10 { #expect(id(limiter.admit("127.0.0.1", close: closed.closer(10 + index))) != nil) }
        #expect(id(limiter.admit("::1", close: closed.closer(99))) != nil)
    }

    @Test func aLongFloodOfSilentConnectionsOnlyDisplacesItself() {
        let limiter = ConnectionLimiter(maxConnections: 10, maxPerAddress: 100_000)
        let closed = Closed()
        var admitted: [Int: (UInt64, String)] = [:]
        for index in 0..<5000 {
            let address = "10.0.\(index / 250).\(index % 250)"
            if let id = id(limiter.admit(address, close: closed.closer(index))) { admitted[index] = (id, address) }
            // A displaced connection leaves once it has closed.
            for gone in closed.list where admitted[gone] != nil {
                limiter.release(admitted[gone]!.0, address: admitted[gone]!.1)
                admitted[gone] = nil
            }
        }
        #expect(admitted.count == 5000 - closed.list.count)
        #expect(closed.list == Array(0..<4990))
        #expect(limiter.open == 10)
    }
}
