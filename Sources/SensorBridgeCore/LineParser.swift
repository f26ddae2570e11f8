/// Turns framed lines into samples, following every line format Arduino sketches print:
///
/// - numbers separated by commas, semicolons, spaces or tabs: `512,498,620`, `512 498 620`
/// - serial-plotter pairs: `x:512,y:498,z:620` or `x:512 y:498 z:620`
/// - `name=value` pairs, including the MPU-6050 style `AcX = 1 | AcY = 2`
/// - a header of names only, separated by commas or tabs (`x,y,z`), naming the numbers that follow
/// - a line starting with `#` is the sketch talking (a reply to a command, a banner): neither a
///   sample nor an error
///
/// Labelled values belong to the series of their label, as in the Arduino IDE 2 plotter: a
/// line may carry any subset of the known labels, a new label adds a series, and a labelled
/// line is accepted at once. Unlabelled numbers are positional and must prove their shape
/// before they count: a line of a shape not yet confirmed is held back, and released only
/// when the next line (at the start) or the next `relayoutAfter - 1` lines (after a confirmed
/// shape) agree. So a half line or a line of noise is never sent as a sample, and since a
/// held line never blocks the confirmed shape, it never costs a following valid line either.
/// A header names the numbers that follow only if the very next numeric line has as many;
/// it renames a confirmed layout of that count at once, and names a new shape once confirmed.
public struct LineParser: Sendable {
    /// What one line produced; `parse` may report several (a held line released or dropped).
    public enum Event: Equatable, Sendable {
        /// A sample: `values` follow `layout.names`; NaN where the line carried no value for a series.
        case sample(values: [Double], layout: ChannelLayout, receivedMicros: Int64)
        /// A header line: names for the numbers that follow, if they match.
        case header([String])
        /// A line that is no sample; `line` is its text, for the log and the status page.
        case rejected(ParseErrorKind, line: [UInt8])
        /// A numeric line of a new shape, kept until the lines after it confirm or refute it.
        case held
        /// A line starting with `#`: a message from the sketch.
        case message
    }

    /// Series a stream may have: bounds memory and the page when labels are noise.
    public static let maxChannels = 64

    /// How many consecutive lines of a new shape replace a confirmed positional layout.
    public let relayoutAfter: Int
    /// A label not carried by any line for this long gives its place to a new one when all
    /// `maxChannels` are taken: a sketch that renames its values over hours is not locked out.
    public let forgetSeriesAfterMicros: Int64
    public static let defaultForgetSeriesAfterMicros: Int64 = 600_000_000
    /// The layout of the samples being produced; nil until the first sample.
    public private(set) var layout: ChannelLayout?

    /// Label → index in `layout`, while the layout is labelled (empty while it is positional).
    private var labelIndex: [String: Int] = [:]
    /// When a line last carried each label of `layout`, in its order.
    private var labelSeen: [Int64] = []
    private var layoutIsLabelled: Bool { !labelIndex.isEmpty }
    /// Numeric lines of one unconfirmed shape, oldest first.
    private var held: [(values: [Double], line: [UInt8], receivedMicros: Int64)] = []
    /// Names a header gave the held lines.
    private var heldNames: [String]?
    /// Names from a header line, for the next numeric line.
    private var pendingHeader: [String]?

    /// Whether lines of the confirmed shape take `PlainNumbers` first; off only to check that
    /// path against the general one (tests, fuzzing).
    public let usesFastPath: Bool

    public init(relayoutAfter: Int = 3, forgetSeriesAfterMicros: Int64 = LineParser.defaultForgetSeriesAfterMicros,
                usesFastPath: Bool = true) {
        precondition(relayoutAfter >= 2)
        self.relayoutAfter = relayoutAfter
        self.forgetSeriesAfterMicros = forgetSeriesAfterMicros
        self.usesFastPath = usesFastPath
    }

    /// The values of `line` when it is a sample of the confirmed positional layout in plain
    /// numbers: then `parse` would emit just that sample and change nothing, so a caller may
    /// take it without calling `parse`. Nil when the general path must decide.
    public func plainSample(_ line: UnsafeBufferPointer<UInt8>) -> [Double]? {
        guard usesFastPath, let layout, labelIndex.isEmpty, held.isEmpty, pendingHeader == nil else { return nil }
        return PlainNumbers.parse(line, count: layout.count)
    }

    /// Parses one line received at `receivedMicros` and reports what it produced through `emit`.
    public mutating func parse(_ line: [UInt8], receivedMicros: Int64, emit: (Event) -> Void) {
        if let values = line.withUnsafeBufferPointer({ plainSample($0) }) {
            return emit(.sample(values: values, layout: layout!, receivedMicros: receivedMicros))
        }
        if line.contains(0) { return emit(.rejected(.nulByte, line: line)) }
        if line.first == UInt8(ascii: "#") { return emit(.message) }
        // Sketches print ASCII; only a line with other bytes needs the full UTF-8 check.
        guard line.allSatisfy({ $0 < 0x80 }) || String(validating: line, as: UTF8.self) != nil else {
            return emit(.rejected(.invalidUTF8, line: line))
        }

        let pairSeparator: UInt8?
        if line.contains(UInt8(ascii: "=")) {
            pairSeparator = UInt8(ascii: "=")
        } else if line.contains(UInt8(ascii: ":")) {
            pairSeparator = UInt8(ascii: ":")
        } else {
            pairSeparator = nil
        }
        guard let fields = Self.fields(of: pairSeparator.map { Self.joiningPairs(line, around: $0) } ?? line),
              !fields.tokens.isEmpty
        else { return emit(.rejected(.emptyField, line: line)) }

        if let pairSeparator {
            switch Self.pairs(fields, separator: pairSeparator) {
            case .failure(let kind): emit(.rejected(kind, line: line))
            case .success(let pairs): acceptLabelled(pairs, line: line, receivedMicros: receivedMicros, emit: emit)
            }
            return
        }
        var values: [Double] = []
        values.reserveCapacity(fields.tokens.count)
        for token in fields.tokens {
            guard let value = NumberSyntax.parse(token) else {
                // A line of names separated by commas or tabs is a header; space-separated
                // words are prose (a banner such as `ADXL335 ready`), not channel names.
                guard fields.hasHardSeparator || fields.hasTab, fields.tokens.allSatisfy(Self.isName) else {
                    return emit(.rejected(.notANumber, line: line))
                }
                guard fields.tokens.count <= Self.maxChannels else { return emit(.rejected(.tooManyChannels, line: line)) }
                let names = fields.tokens.map { String(decoding: $0, as: UTF8.self) }
                pendingHeader = names
                return emit(.header(names))
            }
            values.append(value)
        }
        acceptPositional(values, line: line, receivedMicros: receivedMicros, emit: emit)
    }

    // MARK: - Labelled lines

    private static func pairs(_ fields: Fields, separator: UInt8) -> Result<[(String, Double)], ParseErrorKind> {
        var pairs: [(String, Double)] = []
        pairs.reserveCapacity(fields.tokens.count)
        for token in fields.tokens {
            guard let split = token.firstIndex(of: separator) else { return .failure(.notANumber) }
            let name = token[token.startIndex..<split]
            let valueBytes = token[token.index(after: split)...]
            guard !name.isEmpty, !valueBytes.isEmpty else { return .failure(.emptyField) }
            guard isName(name), let value = NumberSyntax.parse(valueBytes) else { return .failure(.notANumber) }
            pairs.append((String(decoding: name, as: UTF8.self), value))
        }
        return .success(pairs)
    }

    /// A labelled line says which series each value is, so it needs no confirmation. New
    /// labels extend the layout; a positional layout gives way to a labelled one at once.
    private mutating func acceptLabelled(
        _ pairs: [(String, Double)], line: [UInt8], receivedMicros: Int64, emit: (Event) -> Void
    ) {
        dropHeld(emit: emit)
        pendingHeader = nil
        var names = layoutIsLabelled ? layout?.names ?? [] : []
        if !layoutIsLabelled { labelSeen = [] }
        var added: [String] = []
        for (name, _) in pairs where (!layoutIsLabelled || labelIndex[name] == nil) && !added.contains(name) {
            added.append(name)
        }
        var changed = !layoutIsLabelled || !added.isEmpty
        if names.count + added.count > Self.maxChannels {
            let kept = withoutIdleLabels(names, toMakeRoomFor: added.count, carried: pairs, nowMicros: receivedMicros)
            changed = changed || kept.count != names.count
            names = kept
        }
        guard names.count + added.count <= Self.maxChannels else { return emit(.rejected(.tooManyChannels, line: line)) }
        if changed {
            let seen = Dictionary(uniqueKeysWithValues: zip(layout?.names ?? [], labelSeen))
            names += added
            layout = ChannelLayout(names: names, isNamedByDevice: true)
            labelIndex = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            labelSeen = names.map { seen[$0] ?? receivedMicros }
        }
        var values = [Double](repeating: .nan, count: names.count)
        for (name, value) in pairs {
            let index = labelIndex[name]!
            values[index] = value
            labelSeen[index] = receivedMicros
        }
        emit(.sample(values: values, layout: layout!, receivedMicros: receivedMicros))
    }

    /// `names` without the labels idle longest (carried by no line for
    /// `forgetSeriesAfterMicros`), as many as `room` needs, never one this line carries.
    private func withoutIdleLabels(_ names: [String], toMakeRoomFor room: Int, carried: [(String, Double)],
                                   nowMicros: Int64) -> [String] {
        let needed = names.count + room - Self.maxChannels
        let idle = names.indices
            .filter { index in
                nowMicros.subtractingSaturating(labelSeen[index]) >= forgetSeriesAfterMicros
                    && !carried.contains { $0.0 == names[index] }
            }
            .sorted { labelSeen[$0] < labelSeen[$1] }
        guard needed > 0, idle.count >= needed else { return names }
        let forgotten = Set(idle.prefix(needed))
        return names.indices.filter { !forgotten.contains($0) }.map { names[$0] }
    }

    // MARK: - Positional lines

    private mutating func acceptPositional(
        _ values: [Double], line: [UInt8], receivedMicros: Int64, emit: (Event) -> Void
    ) {
        guard values.count <= Self.maxChannels else { return emit(.rejected(.tooManyChannels, line: line)) }
        // A header names this line only if the counts match; otherwise it was noise.
        let named = pendingHeader.flatMap { $0.count == values.count ? $0 : nil }
        pendingHeader = nil
        if !layoutIsLabelled, let current = layout, current.count == values.count {
            dropHeld(emit: emit)
            if let named, named != current.names { layout = ChannelLayout(names: named, isNamedByDevice: true) }
            return emit(.sample(values: values, layout: layout!, receivedMicros: receivedMicros))
        }
        if let first = held.first, first.values.count != values.count { dropHeld(emit: emit) }
        held.append((values, line, receivedMicros))
        if let named { heldNames = named }
        // At the start a header or one more line suffices (the first line is a fragment when
        // the port opened mid-line); replacing a layout in use takes `relayoutAfter` lines in a row.
        let needed = layout == nil ? (heldNames == nil ? 2 : 1) : relayoutAfter
        guard held.count >= needed else { return emit(.held) }
        adopt(heldNames.map { ChannelLayout(names: $0, isNamedByDevice: true) } ?? ChannelLayout.defaultNames(count: values.count),
              emit: emit)
    }

    /// Makes `next` the positional layout and releases the held lines as its samples.
    private mutating func adopt(_ next: ChannelLayout, emit: (Event) -> Void) {
        layout = next
        labelIndex = [:]
        for line in held { emit(.sample(values: line.values, layout: next, receivedMicros: line.receivedMicros)) }
        held.removeAll(keepingCapacity: true)
        heldNames = nil
    }

    /// The held lines were not confirmed: half lines or noise.
    private mutating func dropHeld(emit: (Event) -> Void) {
        guard !held.isEmpty else { return }
        for line in held { emit(.rejected(.layoutMismatch, line: line.line)) }
        held.removeAll(keepingCapacity: true)
        heldNames = nil
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

    static func isName<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        ChannelLayout.isValidName(bytes)
    }
}
