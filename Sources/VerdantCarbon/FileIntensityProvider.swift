import Foundation
import VerdantCore

/// A CSV or JSON intensity file as a provider in the chain (`intensity-providers: file`): re-read at
/// every refresh, so a file another tool rewrites (a forecast export, say) is picked up. Formats and
/// column mapping as `IntensityImport`.
public struct FileIntensityProvider: IntensityProvider {
    /// `file:<file name>`; also the `source` of its slots.
    public let name: String
    /// The kind of every value in the file (configured; a file cannot say).
    public let kind: IntensitySignalKind
    /// The file.
    public let path: String
    /// csv or json.
    public let format: IntensityImportFormat

    /// - Parameters: `format` `nil` = from the extension (`.json` is JSON, anything else CSV).
    public init(path: String, format: IntensityImportFormat?, kind: IntensitySignalKind) {
        self.path = path
        self.format = format ?? (path.lowercased().hasSuffix(".json") ? .json : .csv)
        self.kind = kind
        name = "file:" + URL(fileURLWithPath: path).lastPathComponent
    }

    /// Reads and parses the whole file; slots get `zone`.
    /// - Throws: `IntensityProviderError` naming the file and line when it cannot be read or a row is bad.
    public func fetch(zone: String, now: Date) async throws -> [IntensitySlot] {
        try load(zone: zone)
    }

    /// The synchronous read behind `fetch`, also used to check the file at start-up.
    /// - Throws: `IntensityProviderError` naming `path:line`.
    public func load(zone: String) throws -> [IntensitySlot] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw IntensityProviderError(provider: name, message: "\(path): cannot read it as UTF-8 text; check intensity-file")
        }
        do {
            return try IntensityImport.parse(text, format: format, zone: zone, kind: kind, source: name).slots
        } catch let e as TraceParseError {
            throw IntensityProviderError(provider: name, message: "\(path):\(e.line): \(e.message)")
        }
    }
}
