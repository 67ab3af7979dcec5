import Crypto
import Foundation

/// Lower-case hex SHA-256, for model files' integrity and version names.
enum SHA256Hex {
    static func of(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
