import Glibc

/// The baseline: the same bytes written to and read from a plain file on the same disk.
enum PlainFile {
    /// Writes `bodies` to files in `directory` in pieces of `piece` bytes and fsyncs each at its end
    /// (as durable as a committed fill). Returns seconds.
    static func write(_ bodies: [[UInt8]], directory: String, piece: Int) -> Double {
        seconds {
            for (index, body) in bodies.enumerated() {
                let descriptor = open("\(directory)/plain-\(index)", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                precondition(descriptor >= 0, "open: errno \(errno)")
                body.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let count = min(piece, raw.count - offset)
                        let written = Glibc.write(descriptor, raw.baseAddress! + offset, count)
                        precondition(written > 0, "write: errno \(errno)")
                        offset += written
                    }
                }
                fsync(descriptor)
                close(descriptor)
            }
        }
    }

    /// Reads the files back in pieces of `piece` bytes into one reused buffer. Returns seconds.
    static func read(count: Int, directory: String, piece: Int) -> Double {
        var buffer = [UInt8](repeating: 0, count: piece)
        var checksum: UInt8 = 0
        let elapsed = seconds {
            for index in 0..<count {
                let descriptor = open("\(directory)/plain-\(index)", O_RDONLY)
                precondition(descriptor >= 0, "open: errno \(errno)")
                while true {
                    let got = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, piece) }
                    if got <= 0 { break }
                    checksum &+= buffer[0]
                }
                close(descriptor)
            }
        }
        blackHole(checksum)
        return elapsed
    }

    static func remove(count: Int, directory: String) {
        for index in 0..<count { unlink("\(directory)/plain-\(index)") }
    }
}

@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
