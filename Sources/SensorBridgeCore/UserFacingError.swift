/// A failure the user can act on, said as one sentence: what the command line prints before
/// it exits. Each part's errors say their own sentence, so the command catches this one type
/// instead of one branch per module.
public protocol UserFacingError: Error, CustomStringConvertible {
    /// What the command line prints after "sensorbridge: ".
    var sentence: String { get }
    var exitStatus: Int32 { get }
}

extension UserFacingError {
    public var sentence: String { description }
    public var exitStatus: Int32 { 1 }
}
