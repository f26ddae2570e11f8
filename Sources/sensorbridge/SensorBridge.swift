import ArgumentParser

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

            Then open the printed page URL. WebSocket clients connect to ws://HOST:PORT/graph.
            """,
        subcommands: [Serve.self, List.self],
        defaultSubcommand: Serve.self
    )
}
