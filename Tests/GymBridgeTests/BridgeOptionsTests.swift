import Foundation
import GymBridge
import Testing
import TestSupport

@Suite("Bridge options", .offThePool)
struct BridgeOptionsTests {
    @Test("a collector sharing its cores with the update sleeps at once, unless a spin was chosen")
    func sharingCores() {
        let chosen = BridgeOptions(python: "python3", spin: .microseconds(300))
        #expect(chosen.sharingCores().spin == .microseconds(300))
        let defaulted = BridgeOptions(python: "python3")
        // The default (1 ms, or PPO_BRIDGE_SPIN_US when set) spins; shared cores do not, unless the variable chose it.
        let variable = ProcessInfo.processInfo.environment["PPO_BRIDGE_SPIN_US"]
        #expect(defaulted.sharingCores().spin == (variable == nil ? .zero : defaulted.spin))
        #expect(variable != nil || defaulted.spin == .milliseconds(1))
    }
}
