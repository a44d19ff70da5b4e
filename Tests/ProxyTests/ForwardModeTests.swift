import Glibc
import NIOPosix
import Proxy
import TestSupport
import Testing

@Suite("Forward mode: internal targets and CONNECT", .timeLimit(.minutes(2)))
struct ForwardModeTests {
    @Test(
        "every spelling of an internal address is refused after resolution",
        arguments: [
            "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1", "017700000001",
            "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "localhost", "0.0.0.0", "0",
        ]
    )
    func internalTargetsRefused(host: String) async throws {
        try await withOriginAndLarder(configure: { $0.allowPrivateTargets = false }) { origin, larder in
            let authority = "\(host):\(origin.port)"
            let response = try await TestClient.exchange(
                port: larder.port, "GET http://\(authority)/ HTTP/1.1\r\nHost: \(authority)\r\n\r\n")
            #expect(response.status == 403, "\(response.text)")
            #expect(origin.connectionsAccepted == 0)
        }
    }

    @Test("CONNECT to a port outside the allowed list is refused")
    func connectPortRefused() async throws {
        try await withOriginAndLarder { origin, larder in
            let authority = "127.0.0.1:\(origin.port)"
            let response = try await TestClient.exchange(
                port: larder.port, "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n\r\n")
            #expect(response.status == 403)
            #expect(origin.connectionsAccepted == 0)
        }
    }

    @Test("CONNECT to an internal address is refused by default")
    func connectInternalRefused() async throws {
        try await withOriginAndLarder(configure: { $0.allowPrivateTargets = false }) { origin, larder in
            let authority = "127.0.0.1:443"
            let response = try await TestClient.exchange(
                port: larder.port, "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n\r\n")
            #expect(response.status == 403)
        }
    }

    @Test("a CONNECT tunnel carries a TLS session to a local TLS server")
    func connectTunnelCarriesTLS() async throws {
        let tls = try await TLSServer.start()
        do {
            try await withOriginAndLarder(configure: { $0.connectPorts = [tls.port] }) { _, larder in
                let output = try await NIOThreadPool.singleton.runIfActive {
                    try TLSServer.fetchThroughProxy(proxyPort: larder.port, serverPort: tls.port)
                }
                #expect(output.contains("HTTP/1.1 200 Connection Established"), "\(output)")
                #expect(output.contains("HTTP/1.0 200 ok"), "\(output)")
                #expect(output.contains("Protocol"), "the TLS server's status page did not come back")
            }
        } catch {
            await tls.stop()
            throw error
        }
        await tls.stop()
    }
}

/// `openssl s_server -www` on loopback with a throwaway certificate: a real TLS peer for tunnel tests.
///
/// Child processes are waited for on NIO's thread pool, never on Swift's few cooperative threads.
struct TLSServer: Sendable {
    let process: ChildProcess
    let port: Int
    let directory: String

    /// Starts the server on a port of its own choosing, read back from its `ACCEPT host:port` line.
    static func start() async throws -> TLSServer {
        try await NIOThreadPool.singleton.runIfActive { try self.launch() }
    }

    private static func launch() throws -> TLSServer {
        let directory = "/tmp/larder-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(directory, 0o700)
        let certificate = try ChildProcess("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-keyout", "\(directory)/key.pem", "-out", "\(directory)/cert.pem",
        ])
        certificate.wait()
        let process = try ChildProcess("/usr/bin/stdbuf", [
            "-oL", "/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:0", "-www",
            "-cert", "\(directory)/cert.pem", "-key", "\(directory)/key.pem",
        ], captureOutput: true)
        let port = process.firstLine { line in
            line.hasPrefix("ACCEPT ") ? line.split(separator: ":").last.flatMap { Int($0) } : nil
        }
        guard let port else {
            process.signal(SIGKILL)
            process.wait()
            throw ChildProcess.SpawnError(description: "openssl s_server did not start")
        }
        return TLSServer(process: process, port: port, directory: directory)
    }

    func stop() async {
        _ = try? await NIOThreadPool.singleton.runIfActive {
            self.process.signal(SIGKILL)
            self.process.wait()
            unlink("\(self.directory)/key.pem")
            unlink("\(self.directory)/cert.pem")
            rmdir(self.directory)
        }
    }

    /// Fetches the TLS server's status page with curl through Larder's CONNECT tunnel (blocking).
    static func fetchThroughProxy(proxyPort: Int, serverPort: Int) throws -> String {
        let curl = try ChildProcess("/usr/bin/curl", [
            "--silent", "--show-error", "--insecure", "--max-time", "20", "--http1.1",
            "--proxy", "http://127.0.0.1:\(proxyPort)", "--include", "https://127.0.0.1:\(serverPort)/",
        ], captureOutput: true)
        let output = curl.readAll()
        curl.wait()
        return output
    }
}
