import Foundation
import VerdantCore

/// A trace file could not be loaded: names the file, the line and what to fix.
public struct TraceFileError: Error, CustomStringConvertible {
    public let path: String
    public let line: Int?
    public let message: String
    public var description: String {
        if let line { return "\(path):\(line): \(message)" }
        return "\(path): \(message)"
    }
}

/// A grid-intensity trace on disk (CSV, see `IntensityTraceCSV` for the columns and rules).
public struct TraceFile: Sendable {
    /// The file's path.
    public let path: String
    /// The points, UTC, gCO2eq/kWh.
    public let points: [IntensityPoint]
    /// The header of the value column, used as the grid zone name when none is configured
    /// (`DE` for the ENTSO-E export).
    public let valueColumn: String

    /// Reads and parses the whole file.
    /// - Throws: `TraceFileError` naming the file (and line) when it cannot be read or a row is malformed.
    public init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TraceFileError(path: path, line: nil, message: "cannot read the trace (\(error.localizedDescription)): check --intensity-trace")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TraceFileError(path: path, line: nil, message: "not UTF-8 text: a trace is a CSV file")
        }
        do {
            let (points, columns) = try IntensityTraceCSV.parse(text)
            self.path = path
            self.points = points
            self.valueColumn = columns.valueHeader
        } catch let e as TraceParseError {
            throw TraceFileError(path: path, line: e.line, message: e.message)
        }
    }

    /// The source name stored with imported points: `trace:<file name>`.
    public var sourceName: String { "trace:" + URL(fileURLWithPath: path).lastPathComponent }
}
