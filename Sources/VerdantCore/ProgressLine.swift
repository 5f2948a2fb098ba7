/// The text of a progress line for long operations on a terminal (issue 12): items done of total,
/// the rate, and the time left at that rate.
public enum ProgressLine {
    /// `"origins 120/2400  35.2/s  ETA 1m05s"`; the rate has 3 significant figures, the ETA is rounded
    /// to whole seconds (`DurationSyntax.format`). Before any time has passed the rate and ETA are `-`.
    /// - Parameters:
    ///   - label: what is counted (`origins`, `jobs`, `rows`).
    ///   - elapsedSeconds: time since the operation began, s.
    public static func format(label: String, done: Int, total: Int, elapsedSeconds: Double) -> String {
        guard elapsedSeconds > 0, done > 0 else { return "\(label) \(done)/\(total)  -/s  ETA -" }
        let rate = Double(done) / elapsedSeconds
        let eta = Double(max(0, total - done)) / rate
        let rateText = rate >= 100 ? String(Int(rate.rounded())) : rate >= 10 ? String((rate * 10).rounded() / 10) : String((rate * 100).rounded() / 100)
        return "\(label) \(done)/\(total)  \(rateText)/s  ETA \(DurationSyntax.format(seconds: eta.rounded()))"
    }
}
