import Foundation
import VerdantCore

/// Loads scheduling policies (`Policies/*.yaml`).
public enum PolicyFile {
    /// The keys of one kind's section.
    static let kindKeys = ["expected-duration", "deadline", "power-watts"]

    /// Parses a policy file's text.
    /// - Throws: `ConfigurationError` naming the file and line of an unknown key, kind or bad value.
    public static func parse(_ text: String, file: String) throws -> (policy: SchedulingPolicy, deadlines: [JobKind: Double]) {
        let top = try YAMLFields(text: text, file: file)
        try top.rejectUnknown(["name", "kinds"], what: "policy")
        let name = try top.string("name") ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        var kinds: [JobKind: KindPolicy] = [:]
        var deadlines: [JobKind: Double] = [:]
        if let (kindsNode, _) = top.node("kinds") {
            let section = try YAMLFields(node: kindsNode, file: file)
            try section.rejectUnknown(JobKind.allCases.map(\.rawValue), what: "job kind")
            for kind in JobKind.allCases {
                guard let (n, _) = section.node(kind.rawValue) else { continue }
                let f = try YAMLFields(node: n, file: file)
                try f.rejectUnknown(kindKeys, what: "policy '\(kind.rawValue)'")
                let d = try f.seconds("expected-duration") ?? 3600
                let p = try f.double("power-watts") ?? 10
                guard p >= 0 else {
                    throw ConfigurationError(file: file, line: f.line("power-watts"), message: "'power-watts' must not be negative")
                }
                kinds[kind] = KindPolicy(expectedDurationSeconds: d, power: PowerWatts(p))
                deadlines[kind] = try f.seconds("deadline") ?? max(d * 4, 3600)
            }
        }
        return (SchedulingPolicy(name: name, kinds: kinds), deadlines)
    }

    /// Reads and parses a policy file.
    public static func load(path: String) throws -> (policy: SchedulingPolicy, deadlines: [JobKind: Double]) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError(file: path, line: nil, message: "cannot read the policy file: check the 'policy' key or --policy")
        }
        return try parse(text, file: path)
    }
}
