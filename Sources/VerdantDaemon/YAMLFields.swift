import Foundation
import VerdantCore
import Yams

/// A configuration or policy file is wrong: names the file, the line and what to do.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let message: String
    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// Reads a YAML mapping (parsed by Yams) field by field, rejecting unknown keys and wrongly typed
/// values with the line they are on.
struct YAMLFields {
    let file: String
    let pairs: [(key: String, value: Node, line: Int?)]

    /// Parses `text` as a mapping.
    /// - Throws: `ConfigurationError` for a YAML syntax error or a top level that is not a mapping.
    init(text: String, file: String) throws {
        let node: Node?
        do {
            // `.basic`: no tag resolution rules. The fields are read as plain strings (never through
            // tags), and `Resolver.default` compiles six NSRegularExpressions, i.e. ICU's regex
            // engine, code and data that then stay resident in verdantd (docs/performance.md, "Memory").
            node = try Yams.compose(yaml: text, .basic)
        } catch {
            throw Self.configurationError(error, file: file)
        }
        guard let node else { self.init(file: file, pairs: []); return }
        try self.init(node: node, file: file)
    }

    /// A Yams error as a `ConfigurationError` with its line: a syntax error at the mark libyaml
    /// reports; a key written twice in one mapping at the key's first line (Yams reports that one),
    /// without the whole file that Yams' own description repeats.
    static func configurationError(_ error: Error, file: String) -> ConfigurationError {
        switch error as? YamlError {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let where_ = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return ConfigurationError(file: file, line: mark.line, message: "not valid YAML: \(problem)\(where_), column \(mark.column)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return ConfigurationError(file: file, line: context.mark.line,
                                      message: "\(keys) \(duplicates.count == 1 ? "is" : "are") written more than once in the same section (first here); keep one")
        default:
            return ConfigurationError(file: file, line: nil, message: "not valid YAML: \(error)")
        }
    }

    init(node: Node, file: String) throws {
        guard let mapping = node.mapping else {
            throw ConfigurationError(file: file, line: node.mark?.line, message: "expected a mapping of 'key: value' lines")
        }
        var pairs: [(String, Node, Int?)] = []
        for (k, v) in mapping {
            guard let key = k.string else {
                throw ConfigurationError(file: file, line: k.mark?.line, message: "keys must be plain strings")
            }
            pairs.append((key, v, k.mark?.line))
        }
        self.init(file: file, pairs: pairs)
    }

    private init(file: String, pairs: [(key: String, value: Node, line: Int?)]) {
        self.file = file
        self.pairs = pairs
    }

    /// Throws for the first key not in `known`.
    func rejectUnknown(_ known: [String], what: String) throws {
        for p in pairs where !known.contains(p.key) {
            throw ConfigurationError(file: file, line: p.line,
                                     message: "unknown \(what) key '\(p.key)'; known keys: \(known.joined(separator: ", ")) (see docs/configuration.md)")
        }
    }

    func node(_ key: String) -> (Node, Int?)? {
        pairs.last(where: { $0.key == key }).map { ($0.value, $0.line) }
    }

    func string(_ key: String) throws -> String? {
        guard let (n, line) = node(key) else { return nil }
        guard let s = n.scalar?.string else {
            throw ConfigurationError(file: file, line: line, message: "'\(key)' must be a single value")
        }
        return s
    }

    func double(_ key: String) throws -> Double? {
        guard let s = try string(key) else { return nil }
        guard let v = Double(s), v.isFinite else {
            throw ConfigurationError(file: file, line: node(key)?.1, message: "'\(key)' must be a number, got '\(s)'")
        }
        return v
    }

    func seconds(_ key: String) throws -> Double? {
        guard let s = try string(key) else { return nil }
        guard let v = DurationSyntax.parseSeconds(s) else {
            throw ConfigurationError(file: file, line: node(key)?.1, message: "'\(key)' must be a duration such as 0.5s, 30m, 6h or PT6H; got '\(s)'")
        }
        return v
    }

    func line(_ key: String) -> Int? { node(key)?.1 }
}
