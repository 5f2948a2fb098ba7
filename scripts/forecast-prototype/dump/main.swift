import Foundation
// Writes the traces as the backtest reads them (ForecastTraceText: grid start, slot, values, null = missing) to $GRIDS (default grids.json) for the NumPy prototype.
var out: [[String: Any]] = []
for path in CommandLine.arguments.dropFirst() {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let t = try ForecastTraceText.parse(text, fileName: URL(fileURLWithPath: path).lastPathComponent, zone: nil)
    out.append(["zone": t.zone, "start": t.grid.start.timeIntervalSince1970, "slot": t.grid.slotSeconds,
                "values": t.grid.values.map { $0.map { $0 as Any } ?? NSNull() }])
}
FileManager.default.createFile(atPath: ProcessInfo.processInfo.environment["GRIDS"] ?? "grids.json", contents: try JSONSerialization.data(withJSONObject: out))
