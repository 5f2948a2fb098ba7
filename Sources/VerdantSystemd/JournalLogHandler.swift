import CSystemd
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes structured records to the systemd journal with
/// `sd_journal_sendv(3)`: `MESSAGE`, `PRIORITY` (syslog levels), `CODE_FILE`, `CODE_LINE`,
/// `CODE_FUNC`, `SYSLOG_IDENTIFIER`, and every metadata key as a field (`job.id` → `VERDANT_JOB_ID`,
/// `zone.path` → `VERDANT_ZONE`, others upper-cased with `VERDANT_` in front).
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String

    public init(label: String) { self.label = label }

    /// Whether stderr is connected to the journal: `$JOURNAL_STREAM` is `<dev>:<inode>` of stderr
    /// (systemd.exec(5), "JOURNAL_STREAM").
    public static func stderrIsJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let stream = environment["JOURNAL_STREAM"] else { return false }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The journal fields of one record, in order. Pure: tested without a journal.
    public static func fields(level: Logger.Level, message: String, metadata: Logger.Metadata, label: String,
                              file: String, function: String, line: UInt) -> [String] {
        var out = ["MESSAGE=\(message)", "PRIORITY=\(priority(level))", "SYSLOG_IDENTIFIER=verdantd",
                   "CODE_FILE=\(file)", "CODE_LINE=\(line)", "CODE_FUNC=\(function)", "VERDANT_LOGGER=\(label)"]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            out.append("\(fieldName(key))=\(value)")
        }
        return out
    }

    /// syslog priority of a swift-log level (RFC 5424 severities).
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// A journal field name for a metadata key: `job.id` → `VERDANT_JOB_ID`, `zone.path` →
    /// `VERDANT_ZONE`; journal names allow only A–Z, 0–9 and `_` (sd_journal_print(3)).
    public static func fieldName(_ key: String) -> String {
        switch key {
        case "zone.path": return "VERDANT_ZONE"
        default:
            let cleaned = key.uppercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" }
            return "VERDANT_" + String(cleaned)
        }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        let merged = metadata.merging(explicit ?? [:]) { _, new in new }
        let fields = Self.fields(level: level, message: message.description, metadata: merged, label: label,
                                 file: file, function: function, line: line)
        let cStrings = fields.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var iov = cStrings.map { iovec(iov_base: UnsafeMutableRawPointer($0), iov_len: strlen($0!)) }
        _ = verdant_journal_sendv(&iov, Int32(iov.count))
    }
}
