import Testing
@testable import SensorBridgeCore

struct LineFramerTests {
    private func frame(_ pieces: [[UInt8]], maxLineLength: Int = 4096) -> [LineFramer.Output] {
        var framer = LineFramer(maxLineLength: maxLineLength)
        var out: [LineFramer.Output] = []
        for piece in pieces { framer.feed(piece) { out.append($0) } }
        return out
    }

    private func lines(_ text: String) -> [LineFramer.Output] {
        text.split(separator: "|").map { .line(Array($0.utf8)) }
    }

    @Test func everyTerminator() {
        #expect(frame([Array("a\nb\r\nc\rd\n".utf8)]) == lines("a|b|c|d"))
    }

    @Test func blankLinesAreNotReported() {
        #expect(frame([Array("\n\r\n\r\r\na\n\n".utf8)]) == lines("a"))
    }

    @Test func anySplitGivesTheSameLines() {
        let text = Array("512,498,620\r\n513,497,621\r514,496,622\n\r\n515,1,2\r\n".utf8)
        let expected = lines("512,498,620|513,497,621|514,496,622|515,1,2")
        for cut in 0...text.count {
            #expect(frame([Array(text[..<cut]), Array(text[cut...])]) == expected, "cut at \(cut)")
        }
        #expect(frame(text.map { [$0] }) == expected, "byte by byte")
    }

    @Test func crlfSplitAcrossReadsIsOneTerminator() {
        #expect(frame([Array("a\r".utf8), Array("\nb\r".utf8), Array("\n".utf8)]) == lines("a|b"))
    }

    @Test func incompleteLineWaits() {
        var framer = LineFramer()
        var out: [LineFramer.Output] = []
        framer.feed(Array("512,49".utf8)) { out.append($0) }
        #expect(out.isEmpty)
        #expect(framer.pendingByteCount == 6)
        framer.feed(Array("8\n".utf8)) { out.append($0) }
        #expect(out == lines("512,498"))
    }

    @Test func overlongLineIsReportedOnceAndTheStreamGoesOn() {
        let long = [UInt8](repeating: UInt8(ascii: "7"), count: 10_000)
        let out = frame([Array("ok\n".utf8), long, Array("\nnext\n".utf8)], maxLineLength: 4096)
        #expect(out == [.line(Array("ok".utf8)), .overlong(length: 4096), .line(Array("next".utf8))])
    }

    @Test func lineOfExactlyTheLimitIsKept() {
        let exact = [UInt8](repeating: UInt8(ascii: "1"), count: 16)
        #expect(frame([exact + [10]], maxLineLength: 16) == [.line(exact)])
    }

    @Test func resetDropsThePartialLine() {
        var framer = LineFramer()
        var out: [LineFramer.Output] = []
        framer.feed(Array("half".utf8)) { out.append($0) }
        framer.reset()
        framer.feed(Array("whole\n".utf8)) { out.append($0) }
        #expect(out == lines("whole"))
    }
}
