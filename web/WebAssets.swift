/// The graph page, compiled into the binary so an installed `sensorbridge` serves it with
/// no files beside it. (`--web DIR` serves a folder instead, for working on the page.)
public enum WebAssets {
    public struct Asset: Sendable {
        public let bytes: [UInt8]
        public let contentType: String
    }

    /// Path → asset; `/` is the page itself.
    public static let files: [String: Asset] = [
        "/": Asset(bytes: PackageResources.index_html, contentType: "text/html; charset=utf-8"),
        "/index.html": Asset(bytes: PackageResources.index_html, contentType: "text/html; charset=utf-8"),
        "/graph.js": Asset(bytes: PackageResources.graph_js, contentType: "text/javascript; charset=utf-8"),
        "/store.js": Asset(bytes: PackageResources.store_js, contentType: "text/javascript; charset=utf-8"),
        "/serial.js": Asset(bytes: PackageResources.serial_js, contentType: "text/javascript; charset=utf-8"),
        "/plot.js": Asset(bytes: PackageResources.plot_js, contentType: "text/javascript; charset=utf-8"),
        "/style.css": Asset(bytes: PackageResources.style_css, contentType: "text/css; charset=utf-8"),
    ]
}
