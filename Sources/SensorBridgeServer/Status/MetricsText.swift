import Prometheus
import SensorBridgeCore
import SensorBridgeStream

/// `GET /metrics`: the status report in the Prometheus text format, so a scraper sees the
/// same numbers as `/api/status` (both are made from one snapshot). A fresh registry per
/// scrape: the counters are the stream's and the clients' own, this only writes them out.
enum MetricsText {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func render(_ report: StatusReport) -> [UInt8] {
        let registry = PrometheusCollectorRegistry()
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "sensorbridge", metricName: metric, unitName: unit, helpText: help)
        }
        func counter(_ metric: String, _ help: String, _ value: UInt64, labels: [(String, String)] = []) {
            registry.makeCounter(descriptor: name(metric, "total", help), labels: labels).increment(by: Int64(clamping: value))
        }
        func gauge(_ metric: String, unit: String = "", _ help: String, _ value: Double, labels: [(String, String)] = []) {
            registry.makeGauge(descriptor: name(metric, unit, help), labels: labels).set(to: value)
        }
        gauge("build_info", "The running build (always 1).", 1, labels: [("version", BuildInfo.version)])
        gauge("uptime", unit: "seconds", "Seconds since the bridge started.", report.uptimeSeconds)
        gauge("source_connected", "1 while the device (or replay) is delivering, else 0.",
              report.source.state == .connected ? 1 : 0)
        counter("source_reconnects", "Times the device came back after being lost.", report.reconnects)
        counter("bytes_received", "Bytes read from the source.", report.bytes)
        counter("lines_received", "Lines read from the source.", report.lines)
        counter("samples_received", "Samples parsed from the source's lines.", report.samples)
        counter("lines_lost", "Lines lost on the wire, by the sketch's line counter (a seq, count or counter column).", report.linesLost)
        for kind in ParseErrorKind.allCases {
            counter("parse_errors", "Lines rejected, by reason.",
                    report.parseErrorsByKind[kind.rawValue] ?? 0, labels: [("kind", kind.rawValue)])
        }
        gauge("sample_rate", unit: "hertz", "Samples per second over the last two seconds.", report.rate)
        gauge("buffer_capacity", unit: "samples", "Samples the ring keeps for late joiners and slow clients.",
              Double(report.bufferCapacity))
        gauge("buffer_bytes", unit: "bytes", "What the samples held for late joiners cost (estimated), bounded by --buffer-bytes.",
              Double(report.bufferBytes))
        var byProtocol: [String: Int] = ["rfc6455": 0, "hybi-08": 0, "hybi-07": 0, "hixie-76": 0]
        for client in report.clients { byProtocol[client.protocol, default: 0] += 1 }
        for (family, count) in byProtocol.sorted(by: { $0.key < $1.key }) {
            gauge("clients", "Graph clients connected, by handshake family.", Double(count), labels: [("protocol", family)])
        }
        counter("frames_sent", "WebSocket frames sent to graph clients.", report.delivery.framesSent)
        counter("bytes_sent", "WebSocket payload bytes sent to graph clients.", report.delivery.bytesSent)
        counter("samples_sent", "Samples sent to graph clients (one per client).", report.delivery.samplesSent)
        counter("samples_skipped", "Samples graph clients missed by falling behind the ring.", report.delivery.samplesSkipped)
        counter("clients_evicted", "Graph clients closed for staying behind past the client timeout.", report.clientsEvicted)
        for link in report.mqtt {
            let labels = [("role", link.role)]
            gauge("mqtt_connected", "1 while the link to the MQTT broker is up, else 0.", link.connected ? 1 : 0, labels: labels)
            counter("mqtt_connections", "Connections made to the MQTT broker.", link.connections, labels: labels)
            counter("mqtt_connections_lost", "Connections to the MQTT broker that broke.", link.connectionsLost, labels: labels)
            counter("mqtt_messages_published", "Messages handed to the MQTT broker.", link.messagesPublished, labels: labels)
            counter("mqtt_samples_published", "Samples published to the MQTT broker.", link.samplesPublished, labels: labels)
            counter("mqtt_samples_dropped", "Samples not published: broker unreachable, backlog full, or connection broken before they were written.",
                    link.samplesDropped, labels: labels)
            counter("mqtt_messages_received", "Messages received from the MQTT broker.", link.messagesReceived, labels: labels)
            counter("mqtt_samples_received", "Samples relayed from the MQTT broker.", link.samplesReceived, labels: labels)
            counter("mqtt_samples_missed", "Samples of the edge bridge that never reached this relay.", link.samplesMissed, labels: labels)
            counter("mqtt_messages_rejected", "Messages on the base topic refused: not sensorbridge's, too large, or not the edge's next.",
                    link.messagesRejected, labels: labels)
            counter("mqtt_messages_dropped", "Messages that came faster than the relay could read them, dropped unread.",
                    link.messagesDropped, labels: labels)
        }
        if let store = report.store {
            gauge("store_writing", "1 while the history store writes, 0 while it is paused (a full or read-only disk) or stopped.",
                  store.state == "writing" ? 1 : 0)
            counter("store_samples_stored", "Samples written to the history store.", store.samplesStored)
            counter("store_samples_lost", "Samples the history store never got: it fell behind the stream's memory, or was paused that long.",
                    store.samplesLost)
            gauge("store_bytes", unit: "bytes", "Bytes of the history store's file in use.", Double(store.bytes))
        }
        return registry.emitToBuffer()
    }
}

/// The release this binary is, for `--version` and `/metrics`'s `sensorbridge_build_info`.
public enum BuildInfo {
    public static let version = "0.9.0"
}
