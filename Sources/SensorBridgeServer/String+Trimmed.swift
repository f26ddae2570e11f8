import Foundation

extension String {
    /// Header values and list items, without the spaces and tabs around them.
    var trimmed: String { trimmingCharacters(in: .whitespaces) }
}
