import Foundation
import Testing
import VerdantAPI

private let unitsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("systemd")

/// The shipped units agree with each other and with the client: the socket systemd makes is the
/// one `verdant --state-dir /var/lib/verdant` connects to.
@Suite struct UnitFileTests {
    /// `Key=value` lines of a unit file, in order (comments dropped).
    func settings(_ name: String) throws -> [(key: String, value: String)] {
        try String(contentsOf: unitsFolder.appendingPathComponent(name), encoding: .utf8)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.hasPrefix("#") && $0.contains("=") }
            .map { line in
                let i = line.firstIndex(of: "=")!
                return (String(line[..<i]), String(line[line.index(after: i)...]))
            }
    }

    @Test func theSocketUnitListensWhereTheClientLooks() throws {
        let socket = try settings("verdantd.socket")
        let service = try settings("verdantd.service")
        let stateDirectory = try #require(service.first { $0.key == "StateDirectory" }?.value)
        #expect(socket.filter { $0.key == "ListenStream" }.map(\.value) == ["/var/lib/\(stateDirectory)/\(APIRoutes.socketName)"])
        #expect(socket.first { $0.key == "Accept" }?.value == "no")
        #expect(socket.first { $0.key == "SocketMode" }?.value == "0666")
        #expect(service.contains { $0.key == "Requires" && $0.value == "verdantd.socket" })
        #expect(service.contains { $0.key == "After" && $0.value == "verdantd.socket" })
        #expect(service.contains { $0.key == "Also" && $0.value == "verdantd.socket" })
    }
}
