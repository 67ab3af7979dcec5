/// The operator's name for a camera (one per drop folder), e.g. `bow-canon`.
public struct CameraLabel: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let value: String
    public init(_ value: String) { self.value = value }
    public init(stringLiteral value: String) { self.value = value }
    public var description: String { value }
}
