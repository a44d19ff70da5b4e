/// What kind of network an IP address belongs to, for the forward proxy's refusal of internal targets.
///
/// A forward proxy reachable by clients must not become their way into the proxy host itself or its
/// network (server-side request forgery). The classes follow the IANA special-purpose registries
/// (RFC 6890 and updates); IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4)
/// are judged by the IPv4 address they carry.
public enum AddressClass: String, Hashable, Sendable {
    case global
    case loopback
    case privateNetwork = "private"
    case linkLocal = "link-local"
    case multicast
    case unspecified
    case reserved

    /// Only global unicast addresses are reachable through a forward proxy by default.
    public var isInternal: Bool { self != .global }

    /// Classifies a 4-byte IPv4 or 16-byte IPv6 address in network byte order.
    public init(addressBytes bytes: [UInt8]) {
        switch bytes.count {
        case 4:
            self = Self.classifyIPv4(bytes[0], bytes[1], bytes[2], bytes[3])
        case 16:
            self = Self.classifyIPv6(bytes)
        default:
            self = .reserved
        }
    }

    private static func classifyIPv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> AddressClass {
        switch (a, b) {
        case (0, _): return (b, c, d) == (0, 0, 0) ? .unspecified : .reserved
        case (127, _): return .loopback
        case (10, _), (172, 16...31), (192, 168): return .privateNetwork
        case (100, 64...127): return .privateNetwork  // shared address space (RFC 6598)
        case (169, 254): return .linkLocal
        case (192, 0) where c == 0 || c == 2: return .reserved  // IETF protocol assignments, TEST-NET-1
        case (198, 18...19): return .reserved  // benchmarking
        case (198, 51) where c == 100, (203, 0) where c == 113: return .reserved  // TEST-NET-2, -3
        case (224...239, _): return .multicast
        case (240...255, _): return .reserved
        default: return .global
        }
    }

    private static func classifyIPv6(_ bytes: [UInt8]) -> AddressClass {
        let firstTenZero = bytes[0..<10].allSatisfy { $0 == 0 }
        if firstTenZero && bytes[10] == 0 && bytes[11] == 0 {
            // ::/96: unspecified, loopback, or the deprecated IPv4-compatible form.
            if bytes[12..<15].allSatisfy({ $0 == 0 }) {
                switch bytes[15] {
                case 0: return .unspecified
                case 1: return .loopback
                default: return .reserved
                }
            }
            return classifyIPv4(bytes[12], bytes[13], bytes[14], bytes[15])
        }
        if firstTenZero && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return classifyIPv4(bytes[12], bytes[13], bytes[14], bytes[15])  // ::ffff:0:0/96 mapped
        }
        if bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xFF && bytes[3] == 0x9B {
            return classifyIPv4(bytes[12], bytes[13], bytes[14], bytes[15])  // 64:ff9b::/96 NAT64
        }
        if bytes[0] == 0x20 && bytes[1] == 0x02 {
            return classifyIPv4(bytes[2], bytes[3], bytes[4], bytes[5])  // 2002::/16 6to4
        }
        if bytes[0] == 0xFF { return .multicast }
        if bytes[0] & 0xFE == 0xFC { return .privateNetwork }  // fc00::/7 unique local
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return .linkLocal }  // fe80::/10
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0xC0 { return .privateNetwork }  // fec0::/10 site-local
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0D && bytes[3] == 0xB8 { return .reserved }
        if bytes[0] & 0xE0 != 0x20 { return .reserved }  // outside 2000::/3 global unicast
        return .global
    }
}
