import ArgumentParser
import Foundation
import NeuroCore

/// `--json`, shared by every verb whose output a script parses.
struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object on stdout (errors as {\"error\": {...}}).")
    var json = false
}

/// Prints `error` the way every verb does: one line on stderr, and with --json an error object on stdout;
/// then exits non-zero.
func exitWithError(_ error: Error, json: Bool) -> Never {
    let (file, field, message): (String, String, String)
    switch error {
    case let e as InputError: (file, field, message) = (e.file, e.field, e.message)
    case let e as RuntimeFailure: (file, field, message) = (e.context, "", e.message)
    default: (file, field, message) = ("", "", String(describing: error))
    }
    let line = [file, field, message].filter { !$0.isEmpty }.joined(separator: ": ")
    FileHandle.standardError.write(("neuropipe: error: " + line.replacingOccurrences(of: "\n", with: " ") + "\n").data(using: .utf8)!)
    if json {
        let obj = JSONValue.object([("error", .object([("file", .string(file)), ("field", .string(field)), ("message", .string(message))]))])
        print(obj.serialized())
    }
    Foundation.exit(1)
}

/// Prints a verb's result: the JSON object with --json, else the human sentence.
func printResult(json: Bool, _ object: JSONValue, _ text: @autoclosure () -> String) {
    print(json ? object.serialized() : text())
}

/// Paths matching `pattern` (shell-style * ? [..]), sorted; no match is an error naming the pattern and `option`.
func expandGlob(_ pattern: String, option: String) throws -> [String] {
    var g = glob_t()
    defer { globfree(&g) }
    guard glob(pattern, 0, nil, &g) == 0 else { throw InputError(file: pattern, field: option, message: "matches no file") }
    return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
}
