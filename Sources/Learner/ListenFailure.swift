import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The learner could not listen: which address, and why in words (the port is taken, the address is not this
/// machine's, the port needs privileges).
public struct ListenFailure: Error, CustomStringConvertible {
    public let what: String
    public let host: String
    public let port: Int
    public let reason: String

    public var description: String { "cannot listen for \(what) on \(host):\(port): \(reason)" }

    static func describing<T>(what: String, flag: String, host: String, port: Int, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as IOError {
            let reason = switch error.errnoCode {
            case EADDRINUSE: "the port is in use (by another learner or another program); choose another with \(flag)"
            case EADDRNOTAVAIL: "that address is not one of this machine's (use 0.0.0.0 for every interface)"
            case EACCES: "ports below 1024 need privileges; choose a port above 1023"
            default: "\(error)"
            }
            throw ListenFailure(what: what, host: host, port: port, reason: reason)
        } catch let error as SocketAddressError {
            throw ListenFailure(what: what, host: host, port: port, reason: "\(error) (give an IP address or a name this machine resolves)")
        }
    }
}
