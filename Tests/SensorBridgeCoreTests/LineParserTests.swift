import Testing
@testable import SensorBridgeCore

struct LineParserTests {
    private func parse(_ lines: [String]) -> [LineParser.Output] {
        var parser = LineParser()
        return lines.map { parser.parse(Array($0.utf8)) }
    }

    private func values(_ output: LineParser.Output) -> [Double]? {
        if case .sample(let values, _) = output { return values }
        return nil
    }

    private func names(_ output: LineParser.Output) -> [String]? {
        switch output {
        case .sample(_, let layout): return layout.names
        case .header(let layout): return layout.names
        case .error: return nil
        }
    }

    @Test func seedSketchFormat() {
        let out = parse(["512,498,620", "007,010,999"])
        #expect(values(out[0]) == [512, 498, 620])
        #expect(values(out[1]) == [7, 10, 999])
        #expect(names(out[0]) == ["x", "y", "z"])
    }

    @Test(arguments: [
        "512 498 620", "512\t498\t620", "512, 498, 620", "512;498;620", "  512   498 620  ", "512,498,620,",
    ])
    func separatedNumbers(line: String) {
        #expect(values(parse([line])[0]) == [512, 498, 620])
    }

    @Test func decimalsAndExponents() {
        #expect(values(parse(["-0.98,1.5e2,+3,.5,2.,1E-3"])[0]) == [-0.98, 150, 3, 0.5, 2, 0.001])
    }

    @Test(arguments: ["x:512,y:498,z:620", "x:512 y:498 z:620", "x: 512\ty: 498\tz: 620"])
    func serialPlotterPairs(line: String) {
        let out = parse([line])[0]
        #expect(values(out) == [512, 498, 620])
        #expect(names(out) == ["x", "y", "z"])
    }

    @Test(arguments: ["AcX = 1 | AcY = -2 | AcZ = 16384", "AcX=1,AcY=-2,AcZ=16384", "AcX=1 AcY=-2 AcZ=16384"])
    func nameValuePairs(line: String) {
        let out = parse([line])[0]
        #expect(values(out) == [1, -2, 16384])
        #expect(names(out) == ["AcX", "AcY", "AcZ"])
    }

    @Test func headerNamesTheNumbersThatFollow() {
        let out = parse(["ax,ay,az", "1,2,3", "4,5,6"])
        #expect(out[0] == .header(ChannelLayout(names: ["ax", "ay", "az"], isNamedByDevice: true)))
        #expect(names(out[1]) == ["ax", "ay", "az"])
        #expect(values(out[2]) == [4, 5, 6])
    }

    @Test func tabSeparatedHeader() {
        #expect(names(parse(["accel_x\taccel_y"])[0]) == ["accel_x", "accel_y"])
    }

    @Test func samplesShareOneLayoutInstance() {
        let out = parse(["1,2,3", "4,5,6"])
        guard case .sample(_, let first) = out[0], case .sample(_, let second) = out[1] else {
            Issue.record("expected samples")
            return
        }
        #expect(first === second)
    }

    @Test func badLinesAreErrorsOfTheirKind() {
        var parser = LineParser()
        _ = parser.parse(Array("1,2,3".utf8))
        _ = parser.parse(Array("1,2,3".utf8))
        #expect(parser.parse([UInt8(ascii: "1"), 0, UInt8(ascii: "2")]) == .error(.nulByte))
        #expect(parser.parse([0xFF, 0xFE, UInt8(ascii: "1")]) == .error(.invalidUTF8))
        #expect(parser.parse([UInt8(ascii: "1"), 0xC3]) == .error(.invalidUTF8))
        #expect(parser.parse(Array("ADXL335 ready".utf8)) == .error(.notANumber))
        #expect(parser.parse(Array("1,abc,3".utf8)) == .error(.notANumber))
        #expect(parser.parse(Array("1,nan,3".utf8)) == .error(.notANumber))
        #expect(parser.parse(Array("1,inf,3".utf8)) == .error(.notANumber))
        #expect(parser.parse(Array("0x10,2,3".utf8)) == .error(.notANumber))
        #expect(parser.parse(Array("1,,3".utf8)) == .error(.emptyField))
        #expect(parser.parse(Array(",1,2".utf8)) == .error(.emptyField))
        #expect(parser.parse(Array("x:1,y:,z:3".utf8)) == .error(.emptyField))
        #expect(parser.parse(Array("x:1,y:two,z:3".utf8)) == .error(.notANumber))
        #expect(parser.parse(Array("98,620".utf8)) == .error(.layoutMismatch))
        // The stream goes on after every one of them.
        #expect(parser.parse(Array("4,5,6".utf8)) == .sample(values: [4, 5, 6], layout: ChannelLayout.defaultNames(count: 3)))
    }

    @Test func halfLineAfterTheStreamIsEstablishedIsRejected() {
        let out = parse(["512,498,620", "513,497,621", "97,621", "514,496,622"])
        #expect(values(out[1]) == [513, 497, 621])
        #expect(out[2] == .error(.layoutMismatch))
        #expect(values(out[3]) == [514, 496, 622])
    }

    @Test func aFragmentAsTheVeryFirstLineGivesWayToTheRealLayout() {
        // The port was opened in the middle of a line.
        let out = parse(["98,620", "512,498,620", "513,497,621"])
        #expect(values(out[0]) == [98, 620])
        #expect(values(out[1]) == [512, 498, 620])
        #expect(names(out[2]) == ["x", "y", "z"])
    }

    @Test func aLastingChangeOfLayoutIsTakenAfterThreeLines() {
        let out = parse(["1,2,3", "1,2,3", "1,2", "1,2", "1,2", "1,2"])
        #expect(out[2] == .error(.layoutMismatch))
        #expect(out[3] == .error(.layoutMismatch))
        #expect(values(out[4]) == [1, 2])
        #expect(names(out[5]) == ["x", "y"])
    }

    @Test func manyChannelsGetNumberedNames() {
        #expect(names(parse(["1 2 3 4 5 6"])[0]) == ["ch1", "ch2", "ch3", "ch4", "ch5", "ch6"])
    }
}
