/// Turns one framed line into a sample, following every line format Arduino sketches print:
///
/// - numbers separated by commas, semicolons, spaces or tabs: `512,498,620`, `512 498 620`
/// - serial-plotter pairs: `x:512,y:498,z:620` or `x:512 y:498 z:620`
/// - `name=value` pairs, including the MPU-6050 style `AcX = 1 | AcY = 2`
/// - a header of names only, separated by commas or tabs (`x,y,z`), naming the numbers that follow
///
/// It keeps the stream's channel layout, so a half line (reset noise, or the port opened
/// mid-line) is rejected instead of becoming a sample with a channel missing. A new layout
/// is taken only after `relayoutAfter` consecutive lines agree on it (or at once from a header).
public struct LineParser: Sendable {
    public enum Output: Equatable, Sendable {
        case sample(values: [Double], layout: ChannelLayout)
        case header(ChannelLayout)
        case error(ParseErrorKind)
    }

    /// How many consecutive lines of another shape make it the stream's new layout.
    public let relayoutAfter: Int
    /// The layout of the samples being produced; nil until the first sample or header.
    public private(set) var layout: ChannelLayout?

    private enum Shape: Equatable, Sendable {
        case unnamed(count: Int)
        case named([String])
    }

    private var candidate: (shape: Shape, lines: Int)?
    /// Lines accepted with the current layout; a layout seen on one line only may be a half line.
    private var linesWithLayout = 0

    public init(relayoutAfter: Int = 3) {
        precondition(relayoutAfter >= 1)
        self.relayoutAfter = relayoutAfter
    }

    public mutating func parse(_ line: [UInt8]) -> Output {
        if line.contains(0) { return .error(.nulByte) }
        guard String(validating: line, as: UTF8.self) != nil else { return .error(.invalidUTF8) }

        let pairSeparator: UInt8?
        if line.contains(UInt8(ascii: "=")) {
            pairSeparator = UInt8(ascii: "=")
        } else if line.contains(UInt8(ascii: ":")) {
            pairSeparator = UInt8(ascii: ":")
        } else {
            pairSeparator = nil
        }

        if let pairSeparator {
            return parsePairs(Self.joiningPairs(line, around: pairSeparator), separator: pairSeparator)
        }
        return parseUnnamed(line)
    }

    // MARK: - Formats

    private mutating func parsePairs(_ line: [UInt8], separator: UInt8) -> Output {
        guard let fields = Self.fields(of: line) else { return .error(.emptyField) }
        guard !fields.tokens.isEmpty else { return .error(.emptyField) }
        var names: [String] = []
        var values: [Double] = []
        names.reserveCapacity(fields.tokens.count)
        values.reserveCapacity(fields.tokens.count)
        for token in fields.tokens {
            guard let split = token.firstIndex(of: separator) else { return .error(.notANumber) }
            let name = token[token.startIndex..<split]
            let valueBytes = token[token.index(after: split)...]
            guard !name.isEmpty, !valueBytes.isEmpty else { return .error(.emptyField) }
            guard Self.isName(name) else { return .error(.notANumber) }
            guard let value = NumberSyntax.parse(valueBytes) else { return .error(.notANumber) }
            names.append(String(decoding: name, as: UTF8.self))
            values.append(value)
        }
        return accept(values, shape: .named(names))
    }

    private mutating func parseUnnamed(_ line: [UInt8]) -> Output {
        guard let fields = Self.fields(of: line) else { return .error(.emptyField) }
        guard !fields.tokens.isEmpty else { return .error(.emptyField) }
        var values: [Double] = []
        values.reserveCapacity(fields.tokens.count)
        for token in fields.tokens {
            guard let value = NumberSyntax.parse(token) else {
                return parseHeader(fields)
            }
            values.append(value)
        }
        return accept(values, shape: .unnamed(count: values.count))
    }

    /// A line of names is a header only when its names are separated by commas or tabs;
    /// space-separated words are prose (a banner such as `ADXL335 ready`), not channel names.
    private mutating func parseHeader(_ fields: Fields) -> Output {
        guard fields.hasHardSeparator || fields.hasTab,
              fields.tokens.allSatisfy(Self.isName)
        else { return .error(.notANumber) }
        let header = ChannelLayout(
            names: fields.tokens.map { String(decoding: $0, as: UTF8.self) },
            isNamedByDevice: true
        )
        layout = header
        candidate = nil
        linesWithLayout = 2  // a header is a statement, not a fragment
        return .header(header)
    }

    // MARK: - Layout

    private mutating func accept(_ values: [Double], shape: Shape) -> Output {
        if let current = layout, fits(shape, current) {
            candidate = nil
            linesWithLayout += 1
            return .sample(values: values, layout: current)
        }
        // A layout taken from the very first line is provisional: when the port opens
        // mid-line, that line is a fragment, and the next whole line shows the real layout.
        if layout != nil && linesWithLayout > 1 {
            let seen = (candidate?.shape == shape ? candidate!.lines : 0) + 1
            guard seen >= relayoutAfter else {
                candidate = (shape, seen)
                return .error(.layoutMismatch)
            }
        }
        let next = Self.layout(for: shape)
        layout = next
        candidate = nil
        linesWithLayout = 1
        return .sample(values: values, layout: next)
    }

    private func fits(_ shape: Shape, _ layout: ChannelLayout) -> Bool {
        switch shape {
        case .unnamed(let count): return count == layout.count
        case .named(let names): return names == layout.names
        }
    }

    private static func layout(for shape: Shape) -> ChannelLayout {
        switch shape {
        case .unnamed(let count): return ChannelLayout.defaultNames(count: count)
        case .named(let names): return ChannelLayout(names: names, isNamedByDevice: true)
        }
    }

    // MARK: - Tokens

    private struct Fields {
        var tokens: [ArraySlice<UInt8>] = []
        var hasHardSeparator = false
        var hasTab = false
    }

    private static func isHardSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";") || byte == UInt8(ascii: "|")
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == 0x0B || byte == 0x0C
    }

    /// Splits on runs of blanks and on single commas, semicolons or bars (blanks around them
    /// allowed). Returns nil when two hard separators have nothing between them or the line
    /// starts with one; one trailing hard separator is allowed (`Serial.print(",")` sketches).
    private static func fields(of line: [UInt8]) -> Fields? {
        var result = Fields()
        var tokenStart: Int? = nil
        var sawTokenSinceHardSeparator = false
        for (index, byte) in line.enumerated() {
            if isHardSeparator(byte) || isBlank(byte) {
                if let start = tokenStart {
                    result.tokens.append(line[start..<index])
                    tokenStart = nil
                    sawTokenSinceHardSeparator = true
                }
                if byte == UInt8(ascii: "\t") { result.hasTab = true }
                if isHardSeparator(byte) {
                    if !sawTokenSinceHardSeparator { return nil }
                    result.hasHardSeparator = true
                    sawTokenSinceHardSeparator = false
                }
            } else if tokenStart == nil {
                tokenStart = index
            }
        }
        if let start = tokenStart { result.tokens.append(line[start...]) }
        return result
    }

    /// `AcX = 1 | AcY = 2` becomes `AcX=1 | AcY=2`: blanks touching the pair separator go.
    private static func joiningPairs(_ line: [UInt8], around separator: UInt8) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(line.count)
        var index = 0
        while index < line.count {
            let byte = line[index]
            if isBlank(byte) {
                var end = index
                while end < line.count, isBlank(line[end]) { end += 1 }
                let touchesSeparator = out.last == separator || (end < line.count && line[end] == separator)
                if !touchesSeparator { out.append(contentsOf: line[index..<end]) }
                index = end
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }

    /// A channel name: does not look like the start of a number and holds no separator
    /// or quoting punctuation.
    static func isName<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        guard let first = bytes.first, !bytes.isEmpty, bytes.count <= 64 else { return false }
        if NumberSyntax.isDigit(first) || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
            || first == UInt8(ascii: ".") { return false }
        return bytes.allSatisfy { $0 >= 0x20 && $0 != 0x7F && !forbiddenInNames.contains($0) }
    }

    private static let forbiddenInNames: Set<UInt8> = Set("\"'`=:,;|{}<>\\!?#$%&*@^~".utf8)
}
