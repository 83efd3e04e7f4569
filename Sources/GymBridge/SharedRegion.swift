#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBridgeSupport

/// The shared-memory file of one bridge: created in /dev/shm, mapped, and unlinked once the bridge has mapped it
/// too, so nothing is left behind whoever dies first.
final class SharedRegion: @unchecked Sendable {
    let path: String
    let layout: BridgeLayout
    let base: UnsafeMutableRawPointer
    private var linked = true

    /// Creates and maps a zeroed file of `layout.size` bytes and writes the header.
    init(layout: BridgeLayout, name: String) throws(BridgeSetupError) {
        self.layout = layout
        let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        path = "\(directory)/\(name)"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BridgeSetupError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard ftruncate(fd, off_t(layout.size)) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw BridgeSetupError("cannot size \(path) to \(layout.size) bytes: \(reason)")
        }
        guard let mapped = mmap(nil, layout.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw BridgeSetupError("cannot map \(path): \(reason)")
        }
        base = mapped
        let header = base.assumingMemoryBound(to: UInt32.self)
        header[0] = BridgeLayout.magic
        header[1] = BridgeLayout.version
        header[2] = UInt32(layout.count)
        header[3] = UInt32(layout.observationSize)
        header[4] = UInt32(layout.actionSize)
    }

    deinit {
        unlinkFile()
        munmap(base, layout.size)
    }

    func unlinkFile() {
        guard linked else { return }
        unlink(path)
        linked = false
    }

    func pointer<T>(_ offset: Int, as type: T.Type) -> UnsafeMutablePointer<T> {
        (base + offset).assumingMemoryBound(to: T.self)
    }

    func word(_ offset: Int) -> UInt32 { ppo_load_acquire_u32(base + offset) }
    func setWord(_ offset: Int, _ value: UInt32) { ppo_store_release_u32(base + offset, value) }
    func plainWord(_ offset: Int) -> UInt32 { (base + offset).load(as: UInt32.self) }
    func setPlainWord(_ offset: Int, _ value: UInt32) { (base + offset).storeBytes(of: value, as: UInt32.self) }
}

/// A bridge could not be set up on this machine (the shared-memory file, the pipes).
struct BridgeSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
