import Foundation

/// Writes a whole file atomically: a temporary file in the same folder, fsync, rename, fsync of the folder. A crash
/// or a failure at any point leaves either the previous file or the new one, never a torn one (checkpoints,
/// exported models).
public enum AtomicFile {
    /// Why a file could not be written. The previous file at that path, if any, is as it was.
    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var reason: String

        public var description: String { "\(path): \(reason)" }
    }

    /// The temporary files of writes to `url` are named this, then the writing process's id.
    public static func temporaryPrefix(for url: URL) -> String { ".\(url.lastPathComponent).tmp-" }

    /// Writes `data` to `url`, creating its folder if needed.
    public static func write(_ data: Data, to url: URL) throws(Failure) {
        let dir = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw Failure(path: dir.path, reason: "cannot create the folder (\(error.localizedDescription.trimmingCharacters(in: CharacterSet(charactersIn: "."))))")
        }
        let tmp = dir.appendingPathComponent(temporaryPrefix(for: url) + "\(getpid())")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw Failure(path: tmp.path, reason: String(cString: strerror(errno))) }
        var failure = writeAll(data, to: fd)
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if let failure {
            unlink(tmp.path)
            throw Failure(path: url.path, reason: "write failed (\(failure))")
        }
        guard rename(tmp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(tmp.path)
            throw Failure(path: url.path, reason: "rename failed (\(reason))")
        }
        let dirFD = open(dir.path, O_RDONLY)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    /// Writes every byte of `data` to `fd`; the error's text, or nil.
    private static func writeAll(_ data: Data, to fd: Int32) -> String? {
        data.withUnsafeBytes { raw -> String? in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += n
            }
            return nil
        }
    }
}
