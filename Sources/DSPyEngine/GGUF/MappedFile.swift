import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file.
///
/// The pages are shared with the page cache and loaded on first touch, so mapping a
/// 100 MB model costs nothing until its tensors are read, and the weights never count
/// twice in memory. The mapping lives as long as this object.
final class MappedFile: @unchecked Sendable {
    /// The path the file was opened from (used in error messages).
    let path: String
    /// The mapped bytes (empty for an empty file).
    let bytes: UnsafeRawBufferPointer
    /// Whether `bytes` was allocated here (``init(copying:name:)``) rather than mapped.
    private var owned = false

    /// Maps the file at `path`.
    ///
    /// - Throws: `EngineError.fileNotReadable` when it cannot be opened, stated or mapped.
    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw EngineError.fileNotReadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw EngineError.fileNotReadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw EngineError.fileNotReadable(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0),
              address != MAP_FAILED
        else {
            throw EngineError.fileNotReadable(path: path, reason: String(cString: strerror(errno)))
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    /// A copy of `data` in memory, read like a mapped file named `name` (for GGUF bytes
    /// kept elsewhere, e.g. an adapter stored in a database). Cost: one copy.
    init(copying data: Data, name: String) {
        path = name
        owned = true
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        data.copyBytes(to: buffer.bindMemory(to: UInt8.self))
        bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: data.count)
    }

    deinit {
        if owned {
            UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.deallocate()
        } else if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
