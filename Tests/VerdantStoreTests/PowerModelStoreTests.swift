import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantStore

@Suite struct PowerModelStoreTests {
    @Test func latestFittedModelIsStoredWithItsVersionAndError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-pm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("verdant.sqlite").path
        let db = try VerdantDatabase(path: path)
        #expect(try db.latestPowerModel() == nil)
        let v1 = CPUPowerModel(idlePower: PowerWatts(17), dynamicWatts: 33, exponent: 0.45, frequencyExponent: 0,
                               name: "learned-cpu-v1", version: 1, fitMAPE: 0.12)
        let v2 = CPUPowerModel(idlePower: PowerWatts(18.5), dynamicWatts: 31, exponent: 0.4, frequencyExponent: 2,
                               name: "learned-cpu-v2", version: 2, fitMAPE: 0.08)
        try db.savePowerModel(v1, samples: 12, at: Date(timeIntervalSince1970: 1_700_000_000))
        try db.savePowerModel(v2, samples: 30, at: Date(timeIntervalSince1970: 1_700_000_600))
        // Reopened (the daemon's next start): the highest version, every field intact.
        let again = try VerdantDatabase(path: path)
        #expect(try again.latestPowerModel() == v2)
        let rows = try again.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM power_models") }
        #expect(rows == 2)
    }
}
