/// A failure to report to the user as one sentence, with exit status 1 (or the one given).
struct CommandError: Error, CustomStringConvertible {
    let description: String
    let exitCode: Int32

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}
