import Environments
import TransportSecurity
import Wire
import Testing
@testable import Worker

/// What a worker does after a connection ends, decided with no connection at all.
@Suite("Reconnect policy (no I/O)")
struct ReconnectPolicyTests {
    static func policy(maxAttempts: Int? = nil, maxEnvironmentFailures: Int = 3) -> ReconnectPolicy {
        ReconnectPolicy(options: WorkerOptions(
            host: "h", port: 1, tls: nil, workerID: "w", initialBackoff: .milliseconds(100), maxBackoff: .seconds(1),
            maxAttempts: maxAttempts, maxEnvironmentFailures: maxEnvironmentFailures), seed: 1)
    }

    static func delay(_ d: ReconnectPolicy.Decision) -> Double? {
        guard case .retry(let after, _) = d else { return nil }
        return Double(after.wholeNanoseconds) / 1e9
    }

    @Test("backoff doubles per failure within [½, 1) of its base, stops at the cap, and starts over after a Welcome")
    func backoff() throws {
        var p = Self.policy()
        let lost = SessionEnding.reconnect("refused")
        for k in 0..<6 {
            let d = try #require(Self.delay(p.decide(lost, delivered: false)))
            let base = min(0.1 * Double(1 << k), 1.0)
            #expect(d >= base * 0.5 && d < base, "attempt \(k + 1): \(d) s for base \(base) s")
        }
        let afterWelcome = try #require(Self.delay(p.decide(.reconnect("closed", afterWelcome: true), delivered: false)))
        #expect(afterWelcome < 0.1 && p.failures == 1)
    }

    @Test("--max-attempts: the worker gives up after that many failures in a row, saying how many")
    func maxAttempts() {
        var p = Self.policy(maxAttempts: 3)
        #expect(Self.delay(p.decide(.reconnect("x"), delivered: false)) != nil)
        #expect(Self.delay(p.decide(.reconnect("x"), delivered: false)) != nil)
        #expect(p.decide(.reconnect("x"), delivered: false) == .fail(.unreachable("x (3 attempts)")))
    }

    @Test("the run finished exits; a refusal and an unusable worker fail for good")
    func endings() {
        var p = Self.policy()
        #expect(p.decide(.finished, delivered: false) == .exit)
        #expect(p.decide(.refused("bad cert"), delivered: false) == .fail(.refused("bad cert")))
        #expect(p.decide(.unusable("no such env"), delivered: false) == .fail(.local("no such env")))
    }

    @Test("environment failures restart at once, give up at the limit in a row, and a delivered batch resets the count")
    func environmentFailures() {
        var p = Self.policy(maxEnvironmentFailures: 3)
        let fault = BridgeFault.raised(envID: "gym:X", envIndex: 0, message: "boom")
        #expect(p.decide(.environmentFailed(fault), delivered: false) == .restartEnvironment(count: 1, reason: fault.description))
        #expect(p.decide(.environmentFailed(fault), delivered: false) == .restartEnvironment(count: 2, reason: fault.description))
        #expect(p.decide(.environmentFailed(fault), delivered: true) == .restartEnvironment(count: 1, reason: fault.description))
        _ = p.decide(.environmentFailed(fault), delivered: false)
        guard case .fail(.local(let why)) = p.decide(.environmentFailed(fault), delivered: false) else {
            Issue.record("no failure at the limit"); return
        }
        #expect(why.contains("3 times in a row"))
    }
}

/// Which connection failures end a worker for good: decided in `TransportSecurity` and `SessionEnding`, so a
/// `WorkerClient` made anywhere (a test, another executable) treats a refused certificate the same way.
@Suite("Connection failures: permanent or not (no I/O)")
struct ConnectionFailureEndingTests {
    @Test("certificate and transport mismatches are refusals; nothing listening, a reset or a timeout are reconnects")
    func permanence() {
        func ending(_ kind: LearnerConnectionFailure.Kind) -> SessionEnding {
            .connectionFailed(LearnerConnectionFailure(kind: kind, host: "h", port: 9000), host: "h", port: 9000)
        }
        for kind: LearnerConnectionFailure.Kind in [.workerCertificateRefused(.unknownCA), .learnerCertificateUntrusted,
                                                     .learnerCertificateNotValidForHost, .learnerNotTLS] {
            guard case .refused(let why) = ending(kind) else { Issue.record("\(kind) is not permanent"); continue }
            #expect(why == LearnerConnectionFailure(kind: kind, host: "h", port: 9000).description)
        }
        for kind: LearnerConnectionFailure.Kind in [.connectionRefused, .connectionClosed, .connectTimeout, .noAnswer, .closedDuringHandshake] {
            guard case .reconnect = ending(kind) else { Issue.record("\(kind) is permanent"); continue }
        }
        guard case .refused(let why) = SessionEnding.connectionFailed(WireError(.badMagic, Frame.tlsMismatch), host: "h", port: 9000) else {
            Issue.record("a plaintext worker at a TLS learner retries"); return
        }
        #expect(why.contains("--plaintext") && why.contains("--tls-dir"))
    }
}
