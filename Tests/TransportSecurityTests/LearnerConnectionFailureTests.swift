import NIOCore
import Testing
import TransportSecurity

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The sentences for failures that need no TLS peer; the TLS ones are checked on real connections in
/// `MutualTLSTests`.
@Suite("Learner connection failures")
struct LearnerConnectionFailureTests {
    @Test("connection errors that need no TLS peer are classified")
    func plainErrors() {
        func kind(_ error: any Error) -> LearnerConnectionFailure.Kind {
            LearnerConnectionFailure(error, host: "10.0.0.5", port: 7000).kind
        }
        #expect(kind(IOError(errnoCode: ECONNREFUSED, reason: "connect")) == .connectionRefused)
        #expect(kind(IOError(errnoCode: ECONNRESET, reason: "read")) == .connectionClosed)
        #expect(kind(ChannelError.connectTimeout(.seconds(5))) == .connectTimeout)
        #expect(kind(ChannelError.eof) == .connectionClosed)
        let timeout = LearnerConnectionFailure(ChannelError.connectTimeout(.seconds(5)), host: "10.0.0.5", port: 7000)
        #expect(timeout.description.hasPrefix("the learner at 10.0.0.5:7000 did not accept the connection in time"))
        let silent = LearnerConnectionFailure(kind: .noAnswer, host: "learner.lab", port: 7000)
        #expect(silent.description.hasPrefix("the learner at learner.lab:7000 accepted the connection but did not answer"))
        let v6 = LearnerConnectionFailure(kind: .connectionRefused, host: "fe80::1", port: 7000)
        #expect(v6.description.hasPrefix("nothing is listening at [fe80::1]:7000"))
    }
}
