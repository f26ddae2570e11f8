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
        "/page/series-transform.js": Asset(bytes: PackageResources.series_transform_js, contentType: "text/javascript; charset=utf-8"),
        "/page/stream-client.js": Asset(bytes: PackageResources.stream_client_js, contentType: "text/javascript; charset=utf-8"),
        "/page/settings.js": Asset(bytes: PackageResources.settings_js, contentType: "text/javascript; charset=utf-8"),
        "/page/download.js": Asset(bytes: PackageResources.download_js, contentType: "text/javascript; charset=utf-8"),
        "/page/axis.js": Asset(bytes: PackageResources.axis_js, contentType: "text/javascript; charset=utf-8"),
        "/page/sources.js": Asset(bytes: PackageResources.sources_js, contentType: "text/javascript; charset=utf-8"),
        "/views/spectrum-view.js": Asset(bytes: PackageResources.spectrum_view_js, contentType: "text/javascript; charset=utf-8"),
        "/views/trigger-view.js": Asset(bytes: PackageResources.trigger_view_js, contentType: "text/javascript; charset=utf-8"),
        "/views/source-panels.js": Asset(bytes: PackageResources.source_panels_js, contentType: "text/javascript; charset=utf-8"),
        "/maths/statistics.js": Asset(bytes: PackageResources.statistics_js, contentType: "text/javascript; charset=utf-8"),
        "/maths/timing.js": Asset(bytes: PackageResources.timing_js, contentType: "text/javascript; charset=utf-8"),
        "/maths/fft.js": Asset(bytes: PackageResources.fft_js, contentType: "text/javascript; charset=utf-8"),
        "/maths/trigger.js": Asset(bytes: PackageResources.trigger_js, contentType: "text/javascript; charset=utf-8"),
        "/maths/expression.js": Asset(bytes: PackageResources.expression_js, contentType: "text/javascript; charset=utf-8"),
        "/maths/calibration.js": Asset(bytes: PackageResources.calibration_js, contentType: "text/javascript; charset=utf-8"),
    ]
}
