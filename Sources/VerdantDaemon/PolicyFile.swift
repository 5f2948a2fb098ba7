import Foundation
import VerdantCore
import Yams

/// Loads scheduling policies (`Policies/*.yaml`; keys in docs/configuration.md, "Policy files").
public enum PolicyFile {
    /// The top-level keys.
    static let topKeys = ["name", "applies-to", "planner", "reservations", "kinds"]
    /// The keys of one kind's section.
    static let kindKeys = ["expected-duration", "deadline", "power-watts", "interruptible", "max-delay", "min-saving"]

    /// Parses a policy file's text.
    /// - Throws: `ConfigurationError` naming the file, the line and the field of an unknown key,
    ///   kind or bad value.
    public static func parse(_ text: String, file: String) throws -> (policy: SchedulingPolicy, deadlines: [JobKind: Double]) {
        let top = try YAMLFields(text: text, file: file)
        try top.rejectUnknown(topKeys, what: "policy")
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
                    throw ConfigurationError(file: file, line: f.line("power-watts"), message: "'power-watts' must not be negative, got \(p)")
                }
                let maxDelay = try delay(f, "max-delay", file: file)
                let minSaving = try minimumSaving(f, "min-saving", file: file)
                kinds[kind] = KindPolicy(expectedDurationSeconds: d, power: PowerWatts(p),
                                         interruptible: try bool(f, "interruptible", file: file) ?? false,
                                         maxDelaySeconds: maxDelay, minimumSavingFraction: minSaving.fraction,
                                         minimumSavingGrams: minSaving.grams)
                deadlines[kind] = try f.seconds("deadline") ?? max(d * 4, 3600)
            }
        }
        var selector = PolicySelector()
        if let (n, _) = top.node("applies-to") {
            let f = try YAMLFields(node: n, file: file)
            try f.rejectUnknown(["kinds", "names", "users"], what: "'applies-to'")
            let kindNames = try list(f, "kinds", file: file)
            selector.kinds = try kindNames.map { k in
                guard let kind = JobKind(rawValue: k) else {
                    throw ConfigurationError(file: file, line: f.line("kinds"), message: "applies-to.kinds: unknown kind '\(k)'; use inference, training or batch")
                }
                return kind
            }
            selector.names = try list(f, "names", file: file)
            selector.users = try list(f, "users", file: file)
        }
        var settings = PlannerSettings()
        if let (n, _) = top.node("planner") {
            let f = try YAMLFields(node: n, file: file)
            try f.rejectUnknown(["margin-sigmas", "min-replan-saving", "hedge", "forecast-decay"], what: "'planner'")
            if let v = try f.double("margin-sigmas") {
                guard v >= 0 && v <= 10 else { throw ConfigurationError(file: file, line: f.line("margin-sigmas"), message: "planner.margin-sigmas must be between 0 and 10, got \(v)") }
                settings.marginSigmas = v
            }
            if let v = try fraction(f, "min-replan-saving", file: file) { settings.minimumReplanSaving = v }
            if let v = try fraction(f, "hedge", file: file, range: -1...1) { settings.hedge = v }   // λ < 0: optimistic
            if let s = try f.string("forecast-decay") {
                guard let hours = PlannerSettings.forecastDecayHours(parsing: s) else {
                    throw ConfigurationError(file: file, line: f.line("forecast-decay"),
                                             message: "planner.forecast-decay must be a duration from 1h to 14d (e.g. 36h), got '\(s)'")
                }
                settings.forecastDecayHours = hours
            }
        }
        var reservation = JobDemand(cores: 0)
        if let (n, _) = top.node("reservations") {
            let f = try YAMLFields(node: n, file: file)
            try f.rejectUnknown(["cores", "memory-gib", "gpus"], what: "'reservations'")
            for key in ["cores", "memory-gib", "gpus"] {
                if let v = try f.double(key), v < 0 || (key == "gpus" && v != v.rounded()) {
                    throw ConfigurationError(file: file, line: f.line(key), message: "reservations.\(key) must be a non-negative \(key == "gpus" ? "whole " : "")number, got \(v)")
                }
            }
            reservation = JobDemand(cores: try f.double("cores") ?? 0, memoryBytes: (try f.double("memory-gib") ?? 0) * 1_073_741_824,
                                    gpus: Int(try f.double("gpus") ?? 0))
        }
        return (SchedulingPolicy(name: name, kinds: kinds, appliesTo: selector, planner: settings, reservation: reservation), deadlines)
    }

    /// The policies shipped in `Policies/` (a copy is bundled with the daemon), by name.
    public static let shippedNames = ["default", "strict-deadline", "max-savings", "inference-immediate"]

    /// The path of a policy given by a shipped name (`max-savings`, see `shippedNames`) or a file path.
    /// - Throws: `ConfigurationError` when it is neither an existing file nor a shipped name.
    public static func resolve(_ nameOrPath: String) throws -> String {
        if FileManager.default.fileExists(atPath: nameOrPath) { return nameOrPath }
        let name = nameOrPath.hasSuffix(".yaml") ? String(nameOrPath.dropLast(5)) : nameOrPath
        let bundled = Bundle.module.bundleURL.appendingPathComponent("policies/\(name).yaml").path
        if shippedNames.contains(name), FileManager.default.fileExists(atPath: bundled) { return bundled }
        throw ConfigurationError(file: nameOrPath, line: nil,
                                 message: "no such policy file, and not a shipped policy name (\(shippedNames.joined(separator: ", ")))")
    }

    /// Reads and parses a policy file.
    public static func load(path: String) throws -> (policy: SchedulingPolicy, deadlines: [JobKind: Double]) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError(file: path, line: nil, message: "cannot read the policy file: check the 'policy' key or --policy")
        }
        return try parse(text, file: path)
    }

    /// A bound as written in messages: 0, 1, -1, 100 (`%g`).
    private static func g(_ x: Double) -> String { String(format: "%g", x) }

    static func bool(_ f: YAMLFields, _ key: String, file: String) throws -> Bool? {
        guard let s = try f.string(key) else { return nil }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigurationError(file: file, line: f.line(key), message: "'\(key)' must be true or false, got '\(s)'")
        }
    }

    /// A fraction written as 0.05 or 5%, in `range` ([0, 1] unless given; `planner.hedge`: [−1, 1]).
    /// - Throws: `ConfigurationError` naming the line for a malformed or out-of-range value.
    static func fraction(_ f: YAMLFields, _ key: String, file: String, range: ClosedRange<Double> = 0...1) throws -> Double? {
        guard let s = try f.string(key) else { return nil }
        guard let v = FractionSyntax.parse(s) else {
            throw ConfigurationError(file: file, line: f.line(key), message: "'\(key)' must be a fraction such as 0.05 or 5%, got '\(s)'")
        }
        guard range.contains(v) else {
            throw ConfigurationError(file: file, line: f.line(key), message: "'\(key)' must be between \(g(range.lowerBound)) and \(g(range.upperBound)) (\(g(range.lowerBound * 100))% and \(g(range.upperBound * 100))%), got \(v)")
        }
        return v
    }

    /// `min-saving`: a fraction of the run-now carbon (`0.05`, `5%`) or grams CO2eq (`20g`); absent: 0.
    /// - Throws: `ConfigurationError` naming the line for a negative or malformed value.
    static func minimumSaving(_ f: YAMLFields, _ key: String, file: String) throws -> (fraction: Double, grams: Double) {
        guard let raw = try f.string(key) else { return (0, 0) }
        let s = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if s.hasSuffix("g") {
            guard let v = Double(s.dropLast().trimmingCharacters(in: .whitespaces)), v.isFinite, v >= 0 else {
                throw ConfigurationError(file: file, line: f.line(key), message: "'\(key)' in grams must be a number of 0 or more followed by g, e.g. 20g; got '\(raw)'")
            }
            return (0, v)
        }
        return (try fraction(f, key, file: file) ?? 0, 0)
    }

    /// A delay: a duration, or 0 for "at once".
    static func delay(_ f: YAMLFields, _ key: String, file: String) throws -> Double? {
        guard let s = try f.string(key) else { return nil }
        if let v = Double(s), v == 0 { return 0 }
        if ["0s", "0m", "0h", "pt0s"].contains(s.lowercased()) { return 0 }
        return try f.seconds(key)
    }

    static func list(_ f: YAMLFields, _ key: String, file: String) throws -> [String] {
        guard let (n, line) = f.node(key) else { return [] }
        if let s = n.scalar?.string { return [s] }
        guard let seq = n.sequence else {
            throw ConfigurationError(file: file, line: line, message: "'\(key)' must be a list such as [a, b]")
        }
        return try seq.map { item in
            guard let s = item.scalar?.string else {
                throw ConfigurationError(file: file, line: line, message: "'\(key)' entries must be single values")
            }
            return s
        }
    }
}
