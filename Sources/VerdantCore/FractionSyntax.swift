import Foundation

/// Fractions as a person types them in a policy file or on the command line: `0.05` or `5%`
/// (the same value), `-0.1` or `-10%`.
public enum FractionSyntax {
    /// Parses a fraction; a trailing `%` divides by 100. Spaces and tabs around it are ignored.
    /// - Returns: the fraction (finite; range checks are the caller's, since each field has its own
    ///   range), or `nil` when the text is not a number with an optional `%`.
    public static func parse(_ text: String) -> Double? {
        var t = text.trimmingSpacesAndTabs
        let percent = t.hasSuffix("%")
        if percent { t = String(t.dropLast()).trimmingSpacesAndTabs }
        guard !t.isEmpty, let x = Double(t), x.isFinite else { return nil }
        return percent ? x / 100 : x
    }
}
