/// Validates a `JSONValue` against the subset of JSON Schema (2020-12) used in data-schemas/: type, enum, const,
/// required, properties, additionalProperties (false or a schema), items, contains, minItems, maxItems,
/// minimum, maximum, allOf, anyOf, oneOf, not, and local `$ref` ("#/$defs/…"). Returns one message per violation,
/// each with a JSON-pointer-like path; empty when valid.
public struct JSONSchemaValidator: Sendable {
    public let schema: JSONValue

    public init(schema: JSONValue) { self.schema = schema }

    public func validate(_ value: JSONValue) -> [String] { check(value, schema, "$") }

    private func member(_ obj: JSONValue, _ key: String) -> JSONValue? {
        if case .object(let m) = obj { return m.first { $0.0 == key }?.1 }
        return nil
    }

    private func resolve(_ s: JSONValue) -> JSONValue {
        guard case .string(let ref)? = member(s, "$ref"), ref.hasPrefix("#/") else { return s }
        var node = schema
        for part in ref.dropFirst(2).split(separator: "/") { node = member(node, String(part)) ?? .null }
        return node
    }

    private func typeName(_ v: JSONValue) -> [String] {
        switch v {
        case .null: return ["null"]
        case .bool: return ["boolean"]
        case .int: return ["integer", "number"]
        case .number(let d): return d == d.rounded() ? ["number", "integer"] : ["number"]
        case .string: return ["string"]
        case .array: return ["array"]
        case .object: return ["object"]
        }
    }

    private func number(_ v: JSONValue) -> Double? {
        switch v { case .int(let i): return Double(i); case .number(let d): return d; default: return nil }
    }

    private func check(_ v: JSONValue, _ raw: JSONValue, _ path: String) -> [String] {
        let s = resolve(raw)
        var out = [String]()
        if case .bool(let b) = s { return b ? [] : ["\(path): no value is allowed here"] }
        if let t = member(s, "type") {
            let allowed: [String]
            switch t {
            case .string(let one): allowed = [one]
            case .array(let many): allowed = many.compactMap { if case .string(let x) = $0 { return x } else { return nil } }
            default: allowed = []
            }
            if !typeName(v).contains(where: allowed.contains) {
                return ["\(path): expected \(allowed.joined(separator: " or ")), got \(typeName(v)[0])"]
            }
        }
        if case .array(let options)? = member(s, "enum"), !options.contains(v) {
            out.append("\(path): \(v.serialized()) is not one of \(JSONValue.array(options).serialized())")
        }
        if let c = member(s, "const"), c != v { out.append("\(path): expected \(c.serialized()), got \(v.serialized())") }
        if let lo = member(s, "minimum").flatMap(number), let x = number(v), x < lo { out.append("\(path): \(x) < minimum \(lo)") }
        if let hi = member(s, "maximum").flatMap(number), let x = number(v), x > hi { out.append("\(path): \(x) > maximum \(hi)") }
        if case .object(let m) = v {
            if case .array(let req)? = member(s, "required") {
                for case .string(let r) in req where !m.contains(where: { $0.0 == r }) { out.append("\(path): missing \"\(r)\"") }
            }
            let props = member(s, "properties")
            for (k, x) in m {
                if let p = props.flatMap({ member($0, k) }) {
                    out += check(x, p, path + "." + k)
                } else if let extra = member(s, "additionalProperties") {
                    if case .bool(false) = extra { out.append("\(path): undocumented key \"\(k)\"") } else { out += check(x, extra, path + "." + k) }
                }
            }
        }
        if case .array(let items) = v {
            if let n = member(s, "minItems").flatMap(number), Double(items.count) < n { out.append("\(path): \(items.count) items, expected at least \(Int(n))") }
            if let n = member(s, "maxItems").flatMap(number), Double(items.count) > n { out.append("\(path): \(items.count) items, expected at most \(Int(n))") }
            if let itemSchema = member(s, "items") {
                for (i, x) in items.enumerated() { out += check(x, itemSchema, "\(path)[\(i)]") }
            }
            if let c = member(s, "contains"), !items.contains(where: { check($0, c, path).isEmpty }) {
                out.append("\(path): no item matches \(describe(c))")
            }
        }
        if case .array(let all)? = member(s, "allOf") { for sub in all { out += check(v, sub, path) } }
        if case .array(let any)? = member(s, "anyOf"), !any.contains(where: { check(v, $0, path).isEmpty }) {
            out.append("\(path): matches none of the allowed forms")
        }
        if case .array(let one)? = member(s, "oneOf"), one.filter({ check(v, $0, path).isEmpty }).count != 1 {
            out.append("\(path): must match exactly one of the allowed forms")
        }
        if let n = member(s, "not"), check(v, n, path).isEmpty { out.append("\(path): matches a form that is not allowed") }
        return out
    }

    private func describe(_ s: JSONValue) -> String {
        if case .string(let d)? = member(resolve(s), "description") { return d }
        if let p = member(resolve(s), "properties").flatMap({ member($0, "path") }).flatMap({ member($0, "const") }) { return "path \(p.serialized())" }
        return resolve(s).serialized()
    }
}
