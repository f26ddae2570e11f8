import ArgumentParser
import SensorBridgeServer
import SensorBridgeCore

/// `sensorbridge`: stream a serial accelerometer to browsers.
@main
struct SensorBridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensorbridge",
        abstract: "Stream an Arduino's serial sensor lines to web browsers as a live graph.",
        discussion: """
            Serve a device:          sensorbridge /dev/ttyACM0 [--baud 9600]
            Serve a recorded log:    sensorbridge --replay hardware/recordings/tilt-60s-50hz.log [--loop]
            Record while serving:    sensorbridge /dev/ttyACM0 --record session.log
            List serial devices:     sensorbridge list
            Upload while serving:    sensorbridge release -- arduino-cli upload -p /dev/ttyACM0 ...
            Browse a store:          sensorbridge --archive ~/.local/state/sensorbridge/ttyACM0.sqlite
            Import old recordings:   sensorbridge import session.log --store history.sqlite
            Export a range:          sensorbridge export --store history.sqlite --from -1h --to now > last-hour.csv

            Then open the printed page URL. WebSocket clients connect to ws://HOST:PORT/graph.
            """,
        version: BuildInfo.version,
        subcommands: [Serve.self, List.self, Import.self, Export.self, Release.self],
        defaultSubcommand: Serve.self
    )

    /// `sensorbridge --help` shows the serve options too: serving is what the command is for,
    /// and a user should not have to know it is a subcommand to find `--baud` or `--host`.
    static func main() {
        MallocTuning.apply()
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--help"] || arguments == ["-h"] || arguments == ["help"] {
            print(helpMessage())
            print("")
            print(Serve.helpMessage().replacingOccurrences(of: "USAGE: serve ", with: "USAGE: sensorbridge [serve] "))
            return
        }
        main(nil)
    }
}
/// A failure to report to the user as one sentence, with exit status 1 (or the one given).
struct CommandError: UserFacingError {
    let description: String
    let exitStatus: Int32

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitStatus = exitCode
    }
}
