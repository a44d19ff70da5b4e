import HTTPRules
import Testing

@Suite("Internal address classes (RFC 6890 registries)")
struct AddressClassTests {
    @Test(
        "IPv4",
        arguments: [
            ([127, 0, 0, 1], AddressClass.loopback),
            ([127, 255, 1, 2], .loopback),
            ([10, 1, 2, 3], .privateNetwork),
            ([172, 16, 0, 1], .privateNetwork),
            ([172, 31, 255, 255], .privateNetwork),
            ([172, 32, 0, 1], .global),
            ([192, 168, 1, 1], .privateNetwork),
            ([100, 64, 0, 1], .privateNetwork),
            ([169, 254, 169, 254], .linkLocal),
            ([224, 0, 0, 1], .multicast),
            ([0, 0, 0, 0], .unspecified),
            ([0, 1, 2, 3], .reserved),
            ([255, 255, 255, 255], .reserved),
            ([198, 18, 0, 1], .reserved),
            ([8, 8, 8, 8], .global),
            ([93, 184, 216, 34], .global),
        ] as [([UInt8], AddressClass)]
    )
    func ipv4(bytes: [UInt8], expected: AddressClass) {
        #expect(AddressClass(addressBytes: bytes) == expected)
    }

    static func v6(_ groups: [UInt16]) -> [UInt8] {
        groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    @Test(
        "IPv6, including forms that embed IPv4",
        arguments: [
            (v6([0, 0, 0, 0, 0, 0, 0, 1]), AddressClass.loopback),
            (v6([0, 0, 0, 0, 0, 0, 0, 0]), .unspecified),
            (v6([0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 0x0001]), .loopback),  // ::ffff:127.0.0.1
            (v6([0, 0, 0, 0, 0, 0xFFFF, 0x0A00, 0x0001]), .privateNetwork),  // ::ffff:10.0.0.1
            (v6([0, 0, 0, 0, 0, 0xFFFF, 0x0808, 0x0808]), .global),  // ::ffff:8.8.8.8
            (v6([0, 0, 0, 0, 0, 0, 0x7F00, 0x0001]), .loopback),  // ::127.0.0.1
            (v6([0x64, 0xFF9B, 0, 0, 0, 0, 0x7F00, 0x0001]), .loopback),  // NAT64
            (v6([0x2002, 0x7F00, 0x0001, 0, 0, 0, 0, 1]), .loopback),  // 6to4
            (v6([0xFE80, 0, 0, 0, 0, 0, 0, 1]), .linkLocal),
            (v6([0xFC00, 0, 0, 0, 0, 0, 0, 1]), .privateNetwork),
            (v6([0xFD12, 0x3456, 0, 0, 0, 0, 0, 1]), .privateNetwork),
            (v6([0xFF02, 0, 0, 0, 0, 0, 0, 1]), .multicast),
            (v6([0x2001, 0x0DB8, 0, 0, 0, 0, 0, 1]), .reserved),
            (v6([0x2606, 0x4700, 0, 0, 0, 0, 0, 0x1111]), .global),
        ] as [([UInt8], AddressClass)]
    )
    func ipv6(bytes: [UInt8], expected: AddressClass) {
        #expect(AddressClass(addressBytes: bytes) == expected)
    }
}
