import ArgumentParser
import SensorBridgeCore

/// The columns that are not series (`--time-column`, `--time-unit`, `--counter-column`):
/// one group, so a live bridge and `import` take the same options, with the same help and
/// the same refusals, and decode a board's lines alike.
struct BoardColumnOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The column that is the board's clock, not a series (by default one named t, time, ms, millis, us or micros); none: every column is a series, timed at arrival.",
        valueName: "name|none"))
    var timeColumn: String?

    @Option(help: ArgumentHelp("What --time-column counts in: ms (millis()) or us (micros()).", valueName: "ms|us"))
    var timeUnit: BoardClock.Unit?

    @Option(help: ArgumentHelp(
        "The column that numbers the sketch's lines, so lines lost on the wire show as gaps (by default one named seq, count or counter); none: a series like any.",
        valueName: "name|none"))
    var counterColumn: String?

    func validate() throws {
        if timeUnit != nil, timeColumn == nil || timeColumn == "none" {
            throw ValidationError("--time-unit says what --time-column counts in: give --time-column NAME with it")
        }
    }

    /// `--time-column`: a name (in `--time-unit`), none, or (left out) the names that say so.
    var timeColumnChoice: BoardTimeColumn.Choice {
        switch timeColumn {
        case nil: .byName
        case "none": .none
        case let name?: .named(name, timeUnit ?? .milliseconds)
        }
    }

    /// `--counter-column`: a name, none, or (left out) the names that say so.
    var counterColumnChoice: LineCounterColumn.Choice {
        switch counterColumn {
        case nil: .byName
        case "none": .none
        case let name?: .named(name)
        }
    }
}

extension BoardClock.Unit: ExpressibleByArgument {}
