/// An input that NeuroPipe refuses to process: names the file, the header field or object, and what was expected.
/// Every reader throws this (never traps) so the CLI can print one line and a JSON error object.
public struct InputError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let field: String
    public let message: String

    public init(file: String, field: String, message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String { "\(file): \(field): \(message)" }
}

/// A failure of the machine or a library rather than of the input (disk full, libhdf5 error stack, ...).
public struct RuntimeFailure: Error, CustomStringConvertible, Sendable {
    public let context: String
    public let message: String
    public init(context: String, message: String) {
        self.context = context
        self.message = message
    }
    public var description: String { "\(context): \(message)" }
}
