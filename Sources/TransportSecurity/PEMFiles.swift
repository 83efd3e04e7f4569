import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and writing the bundle's PEM files.
enum PEMFiles {
    /// Writes `text` to `url` through a temporary file in the same directory that is created with `mode` (so a
    /// private key is never readable by others, not even for a moment), fsynced, then renamed over `url`.
    static func write(_ text: String, to url: URL, mode: mode_t) throws(TransportSecurityError) {
        let path = url.path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp").path
        func failure(_ what: String) -> TransportSecurityError {
            .cannotWrite(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw failure("cannot create a temporary file beside it") }
        var closed = false
        defer {
            if !closed { close(fd) }
            unlink(temporary)  // no-op once renamed
        }
        // open() applies the umask; fchmod does not, so the mode is exactly `mode`.
        guard fchmod(fd, mode) == 0 else { throw failure("cannot set its permissions") }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { posixWrite(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("write failed")
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw failure("fsync failed") }
        closed = true
        guard close(fd) == 0 else { throw failure("close failed") }
        guard rename(temporary, path) == 0 else { throw failure("cannot rename the temporary file to it") }
    }

    /// The file's text, or a ``TransportSecurityError/missingFile(path:hint:)`` carrying `hint` when it does not
    /// exist.
    static func read(_ url: URL, missingHint hint: String) throws(TransportSecurityError) -> String {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .missingFile(path: path, hint: hint)
        }
        guard !isDirectory.boolValue else { throw .unreadableFile(path: path, reason: "it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.isReadableFile(atPath: path) ? "reading failed" : "permission denied"
            throw .unreadableFile(path: path, reason: reason)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalidCertificate(path: path, reason: "it is not text (not PEM)")
        }
        return text
    }

    /// `mkdir -p`: creates `url` and any missing parents (mode 0755 before the umask).
    static func makeDirectory(_ url: URL) throws(TransportSecurityError) {
        let target = url.standardizedFileURL.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw .cannotCreateDirectory(path: target, reason: "a file with that name exists")
            }
            return
        }
        var prefix = target.hasPrefix("/") ? "" : "."
        for component in target.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                let reason = String(cString: strerror(errno))
                throw .cannotCreateDirectory(path: target, reason: prefix == target ? reason : "\(prefix): \(reason)")
            }
        }
        guard FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .cannotCreateDirectory(path: target, reason: "a file with that name exists")
        }
    }

    static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }
}

/// `write(2)`, named apart from Swift's `write` functions in this scope.
@inline(__always)
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Darwin)
    return Darwin.write(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.write(fd, buffer, count)
    #else
    return Glibc.write(fd, buffer, count)
    #endif
}
