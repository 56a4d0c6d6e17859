import Foundation
import NeuroCore
import Yams

/// A parsed, validated pipeline specification.
public struct PipelineSpec: Sendable {
    public struct Stage: Sendable {
        public var id: String
        public var uses: String
        public var level: StageLevel?
        public var parameters: [(String, JSONValue)]
        /// stage input name → "input" or "<stage id>.<output>"
        public var from: [(String, String)]
        /// A group-level stage with `per: participant` runs once per participant over that participant's recordings.
        public var perParticipant: Bool = false
    }
    public var name: String
    public var datatype: String
    public var suffix: String
    public var extensions: [String]
    /// Explicit recordings from `inputs.files` (relative to the spec's folder), if given.
    public var files: [String]
    /// `inputs.bids`: a BIDS root (resolved against the spec's folder), if given.
    public var bids: String?
    /// `inputs.folder`: a folder of recordings (resolved against the spec's folder), if given.
    public var folder: String?
    public var stages: [Stage]
    /// SHA of the spec text, recorded in run logs.
    public var path: String

    /// Loads `path`, validating it against data-schemas/pipeline.schema.json (embedded) and the stage registry.
    /// Errors name the YAML line and column, the stage and the field.
    public static func load(path: String, registry: StageRegistry = .standard) throws -> PipelineSpec {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw InputError(file: path, field: "file", message: "cannot read: \(error.localizedDescription)")
        }
        return try parse(text, path: path, registry: registry)
    }

    public static func parse(_ text: String, path: String, registry: StageRegistry = .standard) throws -> PipelineSpec {
        let node: Node
        do {
            guard let n = try Yams.compose(yaml: text) else { throw InputError(file: path, field: "line 1", message: "empty pipeline specification") }
            node = n
        } catch let e as YamlError {
            throw InputError(file: path, field: "YAML", message: "\(e)".replacingOccurrences(of: "\n", with: " "))
        }
        var marks = [String: (Int, Int)]()
        let value = json(node, path: "$", marks: &marks)
        func locate(_ p: String) -> String {
            var q = p
            while !q.isEmpty {
                if let (l, c) = marks[q] { return "line \(l), column \(c)" }
                guard let cut = q.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
                q = String(q[..<cut])
            }
            return "line 1"
        }
        let schema = try JSONValue.parse(pipelineSchemaText)
        if let problem = JSONSchemaValidator(schema: schema).validate(value).first {
            let p = String(problem.prefix { $0 != ":" })
            throw InputError(file: path, field: locate(p) + " (\(p))", message: String(problem.dropFirst(p.count + 2)))
        }
        // Typed view and cross-checks the schema cannot express.
        let inputs = value.member("inputs")
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(p) }
        let given = ["bids", "folder", "files"].filter { inputs?.member($0) != nil }
        guard given.count <= 1 else {
            throw InputError(file: path, field: locate("$.inputs") + " (inputs)", message: "give one of inputs.bids, inputs.folder or inputs.files, not \(given.joined(separator: " and "))")
        }
        let datatype = inputs?.member("datatype")?.stringValue ?? "eeg"
        var stages = [Stage]()
        var ids = Set<String>()
        for (i, s) in (value.member("stages")?.arrayValue ?? []).enumerated() {
            let here = "$.stages[\(i)]"
            let id = s.member("id")!.stringValue!
            guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw InputError(file: path, field: locate(here + ".id") + " (stage \(id))", message: "stage ids may contain only letters, digits, - and _")
            }
            guard ids.insert(id).inserted else { throw InputError(file: path, field: locate(here + ".id") + " (stage \(id))", message: "duplicate stage id") }
            let uses = s.member("uses")!.stringValue!
            guard let type = registry.types[uses] else {
                throw InputError(file: path, field: locate(here + ".uses") + " (stage \(id))", message: "unknown stage type \"\(uses)\"; known: \(registry.types.keys.sorted().joined(separator: ", "))")
            }
            var params = [(String, JSONValue)]()
            if case .object(let m)? = s.member("with") { params = m }
            for (k, v) in params {
                guard let declared = type.parameters.first(where: { $0.name == k }) else {
                    throw InputError(file: path, field: locate(here + ".with." + k) + " (stage \(id), with.\(k))",
                                     message: "\(uses) has no parameter \"\(k)\"; it takes \(type.parameters.map(\.name).joined(separator: ", "))")
                }
                if let expected = declared.mismatch(v) {
                    throw InputError(file: path, field: locate(here + ".with." + k) + " (stage \(id), with.\(k))", message: "\(expected); got \(v.serialized(pretty: false))")
                }
            }
            var from = [(String, String)]()
            if case .object(let m)? = s.member("from") { from = m.map { ($0.0, $0.1.stringValue ?? "") } }
            for (input, source) in from {
                guard type.inputs.contains(where: { $0.name == input }) else {
                    throw InputError(file: path, field: locate(here + ".from." + input) + " (stage \(id), from.\(input))",
                                     message: "\(uses) has no input \"\(input)\"; it takes \(type.inputs.map(\.name).joined(separator: ", "))")
                }
                if source != "input" && source != "participants" {
                    let parts = source.split(separator: ".", maxSplits: 1).map(String.init)
                    guard parts.count == 2, let up = stages.first(where: { $0.id == parts[0] }) else {
                        throw InputError(file: path, field: locate(here + ".from." + input) + " (stage \(id), from.\(input))",
                                         message: "\"\(source)\" is not input, participants or <earlier stage id>.<output>")
                    }
                    guard registry.types[up.uses]!.outputs.contains(where: { $0.name == parts[1] }) else {
                        throw InputError(file: path, field: locate(here + ".from." + input) + " (stage \(id), from.\(input))",
                                         message: "stage \(up.id) (\(up.uses)) has no output \"\(parts[1])\"")
                    }
                }
            }
            for needed in type.inputs where !from.contains(where: { $0.0 == needed.name }) {
                throw InputError(file: path, field: locate(here) + " (stage \(id), from)", message: "input \"\(needed.name)\" is not connected")
            }
            let level = s.member("level")?.stringValue.flatMap(StageLevel.init(rawValue:))
            let perParticipant = s.member("per")?.stringValue == "participant"
            if perParticipant, (level ?? type.level) != .group {
                throw InputError(file: path, field: locate(here + ".per") + " (stage \(id), per)", message: "per: participant gathers a participant's recordings, so it needs a group-level stage; \(uses) runs per recording already")
            }
            stages.append(Stage(id: id, uses: uses, level: level, parameters: params, from: from, perParticipant: perParticipant))
        }
        return PipelineSpec(name: value.member("name")?.stringValue ?? (path as NSString).lastPathComponent, datatype: datatype,
                            suffix: inputs?.member("suffix")?.stringValue ?? datatype,
                            extensions: inputs?.member("extensions")?.arrayValue?.compactMap(\.stringValue) ?? [".edf", ".bdf", ".set"],
                            files: (inputs?.member("files")?.arrayValue?.compactMap(\.stringValue) ?? []).map(resolve),
                            bids: inputs?.member("bids")?.stringValue.map(resolve), folder: inputs?.member("folder")?.stringValue.map(resolve),
                            stages: stages, path: path)
    }

    /// YAML node → JSON value (plain scalars typed as YAML core schema), recording each path's position.
    static func json(_ node: Node, path: String, marks: inout [String: (Int, Int)]) -> JSONValue {
        if let m = node.mark { marks[path] = (m.line, m.column) }
        switch node {
        case .mapping(let map):
            return .object(map.map { (k, v) in
                let key = k.string ?? ""
                return (key, json(v, path: path + "." + key, marks: &marks))
            })
        case .sequence(let seq):
            return .array(seq.enumerated().map { json($1, path: path + "[\($0)]", marks: &marks) })
        case .scalar(let s):
            if s.style == .plain {
                if let i = Int(s.string) { return .int(i) }
                if let d = Double(s.string), s.string.rangeOfCharacter(from: .letters) == nil || s.string.lowercased().contains("e") { return .number(d) }
                switch s.string { case "true", "True", "yes": return .bool(true); case "false", "False", "no": return .bool(false)
                case "null", "~", "": return .null; default: break }
            }
            return .string(s.string)
        }
    }
}
