import Glibc
import NIOCore
import NIOPosix
import Proxy
import TestSupport
import Testing
import Upstream

@Suite("Configuration: YAML file, units, check-config")
struct ConfigurationTests {
    @Test("an empty file keeps every built-in default")
    func emptyFile() throws {
        var configuration = ProxyConfiguration()
        try ConfigFile.apply(yaml: "", to: &configuration)
        #expect(configuration == ProxyConfiguration())
    }

    @Test("every section applies")
    func appliesKeys() throws {
        let yaml = """
            mode: reverse
            listen: 0.0.0.0:8080
            admin: off
            workers: 3
            upstreams: [http://10.0.0.1:81, http://origin.example]
            cache: {dir: /var/cache/larder, size: 10GiB, max_object_size: 512MiB, default_ttl: 5m,
                    ignore_query_parameters: [utm_*, fbclid], targeted_field: akamai-cache-control, send_from: file}
            limits: {request_line: 4KiB, header_bytes: 8KiB, header_count: 50, request_body: 2MiB}
            timeouts: {header_read: 500ms, upstream_read: 2m}
            forward: {allow_private_targets: true, connect_ports: [443, 8443]}
            reverse: {preserve_host: false}
            log: {format: json, access: false}
            """
        var configuration = ProxyConfiguration()
        try ConfigFile.apply(yaml: yaml, to: &configuration)
        #expect(configuration.mode == .reverse)
        #expect(configuration.listen == ListenAddress(host: "0.0.0.0", port: 8080))
        #expect(configuration.admin == nil)
        #expect(configuration.workers == 3)
        #expect(configuration.upstreams == [
            Origin(scheme: "http", host: "10.0.0.1", port: 81),
            Origin(scheme: "http", host: "origin.example", port: 80),
        ])
        #expect(configuration.cacheDirectory == "/var/cache/larder")
        #expect(configuration.cacheSize == 10 << 30)
        #expect(configuration.cacheMaxObjectSize == 512 << 20)
        #expect(configuration.cacheSendFrom == .file)
        #expect(configuration.cacheDefaultTTL == 300)
        #expect(configuration.cacheIgnoredQueryParameters == ["utm_*", "fbclid"])
        #expect(configuration.cacheTargetedField == "akamai-cache-control")
        #expect(configuration.limits.maxRequestLineBytes == 4096)
        #expect(configuration.limits.maxHeaderCount == 50)
        #expect(configuration.limits.maxBodyBytes == 2 << 20)
        #expect(configuration.headerReadTimeout == .milliseconds(500))
        #expect(configuration.upstream.readTimeout == .minutes(2))
        #expect(configuration.connectPorts == [443, 8443])
        #expect(!configuration.preserveHost)
        #expect(configuration.logFormat == .json)
        #expect(!configuration.accessLog)
    }

    @Test(
        "a bad key or value is named with its line",
        arguments: [
            ("mode: forward\ncache:\n  sise: 1GiB\n", "line 3: unknown key 'cache.sise'"),
            ("mode: sideways\n", "line 1: mode: expected one of forward, reverse"),
            ("listen: 127.0.0.1\n", "line 1: listen: expected HOST:PORT"),
            ("cache:\n  size: lots\n", "line 2: cache.size: 'lots' is not a size (like 512MiB, 10GiB or plain bytes)"),
            ("timeouts:\n  keep_alive: soon\n",
             "line 2: timeouts.keep_alive: 'soon' is not a duration (like 500ms, 30s, 5m)"),
            ("upstreams: [ftp://x]\n", "line 1: upstreams: 'ftp://x' is not an http://host[:port] URL"),
            ("forward:\n  connect_ports: [0]\n", "line 2: forward.connect_ports: expected ports between 1 and 65535"),
            ("mode: forward\n  bad: [\n", "line 2: YAML syntax: mapping values are not allowed in this context"),
            ("- a\n- b\n", "line 1: the file must be a mapping of keys"),
            ("workers: many\n", "line 1: workers: expected a number of threads from 1 to 256, or auto"),
            ("cache:\n  send_from: disk\n", "line 2: cache.send_from: expected one of map, file, copy"),
            ("mode: reverse\n", "reverse mode needs at least one upstream (upstreams: or --upstream)"),
        ]
    )
    func namesProblems(yaml: String, message: String) {
        var configuration = ProxyConfiguration()
        let error = #expect(throws: ConfigurationError.self) { try ConfigFile.apply(yaml: yaml, to: &configuration) }
        #expect(error?.description == message)
        #expect(configuration == ProxyConfiguration(), "nothing is applied from a file with an error")
    }

    @Test(
        "sizes",
        arguments: [
            ("1024", Int64(1024)), ("512MiB", 512 << 20), ("10GiB", 10 << 30), ("10 gib", 10 << 30), ("1KB", 1000),
            ("1.5k", 1536), ("2T", 2 << 40),
        ] as [(String, Int64)]
    )
    func sizes(text: String, bytes: Int64) {
        #expect(Units.parseSize(text) == bytes)
    }

    @Test("sizes that are not sizes", arguments: ["", "MiB", "-1", "12XB", "1e3", "1.5"])
    func badSizes(text: String) {
        #expect(Units.parseSize(text) == nil)
    }

    @Test(
        "durations",
        arguments: [
            ("30", TimeAmount.seconds(30)), ("30s", .seconds(30)), ("250ms", .milliseconds(250)), ("5m", .minutes(5)),
            ("1h", .hours(1)), ("0.5s", .milliseconds(500)),
        ] as [(String, TimeAmount)]
    )
    func durations(text: String, amount: TimeAmount) {
        #expect(Units.parseDuration(text) == amount)
    }

    @Test("larder check-config exits non-zero and names the key and line")
    func checkConfigCommand() async throws {
        let path = "/tmp/larder-check-config-\(getpid()).yaml"
        try "mode: forward\ntimeouts:\n  keep_alive: 5s\n  upstream_raed: 1s\n".write(toFile: path)
        let (status, output) = try await NIOThreadPool.singleton.runIfActive {
            let child = try ChildProcess(try ChildProcess.siblingExecutable(named: "larder"), ["check-config", path],
                                        captureOutput: true)
            let output = child.readAll()
            return (child.wait(), output)
        }
        #expect(status == 2)
        #expect(output.contains("line 4: unknown key 'timeouts.upstream_raed'"), "\(output)")
    }
}

extension String {
    func write(toFile path: String) throws {
        guard let file = fopen(path, "w") else { throw PortError(port: -1) }
        defer { fclose(file) }
        fputs(self, file)
    }
}

@Suite("Internal targets: the auto default")
struct PrivateTargetDefaultTests {
    @Test(
        "auto allows internal targets only on a loopback listener",
        arguments: [
            ("127.0.0.1", Bool?.none, true), ("::1", nil, true), ("localhost", nil, true), ("0.0.0.0", nil, false),
            ("192.168.1.5", nil, false), ("0.0.0.0", true, true), ("127.0.0.1", false, false),
        ] as [(String, Bool?, Bool)]
    )
    func auto(host: String, setting: Bool?, allowed: Bool) {
        var configuration = ProxyConfiguration()
        configuration.listen = ListenAddress(host: host, port: 3128)
        configuration.allowPrivateTargets = setting
        #expect(configuration.effectiveAllowPrivateTargets == allowed)
    }
}
