import Foundation
import GRDB

// `intensity_slots` rows are written at start-up (the trace or cache import) and whenever a provider
// answers. Encoded column by column (GRDB's `EncodableRecord.encode(to:)`) with the same values as
// their Codable encoding (CodingKeys in IntensityStore.swift), dates through `StorageDate` instead of
// GRDB's `DateFormatter`: that formatter loads ICU's calendar, locale, number-format and time-zone
// data, which then stay resident in verdantd (docs/performance.md, "Memory").

extension IntensitySlotRecord {
    /// Writes the row's ten `intensity_slots` columns into `container` (GRDB `EncodableRecord`, called by
    /// `insert`/`upsert`/`save`): `zone`, `start_at` (UTC text `yyyy-MM-dd HH:mm:ss.SSS`, `StorageDate`),
    /// `duration_s` (s), `intensity_g_per_kwh` (gCO2eq/kWh, NULL when the source gave no value), `kind`,
    /// `basis`, `source`, `issued_at` (UTC text, NULL for actuals), `issued_key` and `fetched_at` (UTC
    /// text). The same column names and values as the Codable encoding (`CodingKeys`); a date's text is
    /// byte for byte GRDB's (`StorageDateTests`). Throws nothing itself (`throws` is the protocol's).
    public func encode(to container: inout PersistenceContainer) throws {
        container["zone"] = zone
        container["start_at"] = StorageDate.text(startAt)
        container["duration_s"] = durationSeconds
        container["intensity_g_per_kwh"] = intensity
        container["kind"] = kind
        container["basis"] = basis
        container["source"] = source
        container["issued_at"] = issuedAt.map(StorageDate.text)
        container["issued_key"] = issuedKey
        container["fetched_at"] = StorageDate.text(fetchedAt)
    }
}
