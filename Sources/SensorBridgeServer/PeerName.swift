import NIOCore

extension ChannelHandlerContext {
    /// The client as logs and `/api/status` show it: `127.0.0.1:45934`, `[::1]:45934`.
    var peerName: String {
        guard let address = remoteAddress else { return "unknown" }
        guard let ip = address.ipAddress, let port = address.port else { return address.description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
