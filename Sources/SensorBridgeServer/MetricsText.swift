import Prometheus
import SensorBridgeCore

/// `GET /metrics`: the status report in the Prometheus text format, so a scraper sees the
/// same numbers as `/api/status` (both are made from one snapshot). A fresh registry per
/// scrape: the counters are the hub's own, this only writes them out.
enum MetricsText {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func render(_ report: StatusReport) -> [UInt8] {
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ help: String, _ value: UInt64, labels: [(String, String)] = []) {
            registry.makeCounter(name: name, labels: labels, help: help).increment(by: Int64(clamping: value))
        }
        func gauge(_ name: String, _ help: String, _ value: Double, labels: [(String, String)] = []) {
            registry.makeGauge(name: name, labels: labels, help: help).set(to: value)
        }
        registry.makeGauge(name: "sensorbridge_build_info", labels: [("version", BuildInfo.version)],
                           help: "The running build (always 1).").set(to: 1.0)
        gauge("sensorbridge_uptime_seconds", "Seconds since the bridge started.", report.uptimeSeconds)
        gauge("sensorbridge_source_connected", "1 while the device (or replay) is delivering, else 0.",
              report.source.state == .connected ? 1 : 0)
        counter("sensorbridge_source_reconnects_total", "Times the device came back after being lost.", report.reconnects)
        counter("sensorbridge_bytes_received_total", "Bytes read from the source.", report.bytes)
        counter("sensorbridge_lines_received_total", "Lines read from the source.", report.lines)
        counter("sensorbridge_samples_received_total", "Samples parsed from the source's lines.", report.samples)
        for kind in ParseErrorKind.allCases {
            counter("sensorbridge_parse_errors_total", "Lines rejected, by reason.",
                    report.parseErrorsByKind[kind.rawValue] ?? 0, labels: [("kind", kind.rawValue)])
        }
        gauge("sensorbridge_sample_rate_hertz", "Samples per second over the last two seconds.", report.rate)
        gauge("sensorbridge_buffer_capacity_samples", "Samples the ring keeps for late joiners and slow clients.",
              Double(report.bufferCapacity))
        var byProtocol: [String: Int] = ["rfc6455": 0, "hybi-08": 0, "hybi-07": 0, "hixie-76": 0]
        for client in report.clients { byProtocol[client.protocol, default: 0] += 1 }
        for (family, count) in byProtocol.sorted(by: { $0.key < $1.key }) {
            gauge("sensorbridge_clients", "Graph clients connected, by handshake family.", Double(count),
                  labels: [("protocol", family)])
        }
        counter("sensorbridge_frames_sent_total", "WebSocket frames sent to graph clients.", report.delivery.framesSent)
        counter("sensorbridge_bytes_sent_total", "WebSocket payload bytes sent to graph clients.", report.delivery.bytesSent)
        counter("sensorbridge_samples_sent_total", "Samples sent to graph clients (one per client).", report.delivery.samplesSent)
        counter("sensorbridge_samples_skipped_total", "Samples graph clients missed by falling behind the ring.",
                report.delivery.samplesSkipped)
        counter("sensorbridge_clients_evicted_total", "Graph clients closed for staying behind past the client timeout.",
                report.clientsEvicted)
        return registry.emitToBuffer()
    }
}
