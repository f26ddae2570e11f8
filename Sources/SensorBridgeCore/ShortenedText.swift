extension String {
    /// At most `maxBytes` of UTF-8, cut at a character boundary and marked with "…": how
    /// text from outside (a status detail, a line quoted back) is kept short whatever it holds.
    public func shortened(toUTF8Bytes maxBytes: Int) -> String {
        guard utf8.count > maxBytes else { return self }
        var out = ""
        for character in self {
            guard out.utf8.count + character.utf8.count + 3 <= maxBytes else { break }
            out.append(character)
        }
        return out + "…"
    }
}
