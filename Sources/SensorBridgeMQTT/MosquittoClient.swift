import CMosquitto
import Foundation
import SensorBridgeCore

/// libmosquitto, driven from one thread: the caller's `loop` runs the network and the
/// callbacks, which only note what happened for the caller to act on afterwards. No thread
/// of the library's own, so nothing here is shared and nothing needs a lock.
final class MosquittoClient {
    enum Event: Equatable {
        case connected
        /// The broker answered CONNECT with a refusal (bad password, not authorised…).
        case refused(String)
        /// The connection ended; `expected` when we asked for it.
        case closed(expected: Bool)
        /// A QoS 0 message left for the broker in full.
        case written(mid: Int32)
        case message(topic: String, payload: [UInt8])
        /// A message larger than `maxIncomingBytes`: not copied, not decoded. (libmosquitto
        /// 2.0 has read it whole by then, up to MQTT's 256 MiB; the broker, told the bound,
        /// does not send such messages.)
        case oversized(topic: String, bytes: Int)
    }

    private let handle: OpaquePointer
    private var events: [Event] = []
    let address: MQTTAddress
    private var hasConnectedOnce = false
    /// The library's last error log line (TLS says what failed only there).
    private var lastLoggedError: String?
    /// Incoming messages larger than this are neither copied nor handed on (nil: no bound).
    let maxIncomingBytes: Int?
    /// The connection speaks MQTT 5 (to tell the broker the largest packet it takes).
    private let speaksV5: Bool

    private static let libraryReady: Bool = { mosquitto_lib_init() == MOSQ_ERR_SUCCESS.rawValue }()

    /// - Parameters:
    ///   - will: left with the broker, published by it if this connection breaks without a goodbye.
    ///   - maxIncomingBytes: the largest message payload taken. The connection then speaks
    ///     MQTT 5 and tells the broker (Maximum Packet Size), which drops larger messages for
    ///     this client instead of sending them; one that comes anyway is counted, not read.
    init(_ connection: BrokerConnection, will: (topic: String, payload: [UInt8])?,
         maxIncomingBytes: Int? = nil) throws(MQTTLinkError) {
        let address = connection.address
        self.maxIncomingBytes = maxIncomingBytes
        self.speaksV5 = maxIncomingBytes != nil
        let caFile = connection.caFile
        guard Self.libraryReady, let handle = mosquitto_new(connection.clientID, true, nil) else {
            throw MQTTLinkError("cannot start libmosquitto (out of memory?)")
        }
        self.handle = handle
        self.address = address
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        _ = mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, Int32(speaksV5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311))
        if let maxIncomingBytes {
            try setMaximumPacketSize(maxIncomingBytes + Self.packetOverhead, keepAliveSeconds: MQTTLink.keepAliveSeconds)
        }
        if let username = address.username {
            try check(mosquitto_username_pw_set(handle, username, address.password), "the user name")
        }
        if address.tls {
            let capath = caFile == nil ? "/etc/ssl/certs" : nil
            try check(mosquitto_tls_set(handle, caFile, capath, nil, nil, nil), "TLS (--mqtt-ca)")
        }
        if let will {
            try check(will.payload.withUnsafeBytes {
                mosquitto_will_set(handle, will.topic, Int32($0.count), $0.baseAddress, 0, true)
            }, "the Last Will")
        }
        mosquitto_connect_callback_set(handle) { _, context, code in
            let client = MosquittoClient.from(context)
            let reason = client.speaksV5 ? mosquitto_reason_string(code) : mosquitto_connack_string(code)
            client.events.append(code == 0 ? .connected : .refused(reason.map { String(cString: $0) } ?? "code \(code)"))
        }
        mosquitto_disconnect_callback_set(handle) { _, context, code in
            MosquittoClient.from(context).events.append(.closed(expected: code == 0))
        }
        mosquitto_publish_callback_set(handle) { _, context, mid in
            MosquittoClient.from(context).events.append(.written(mid: mid))
        }
        mosquitto_log_callback_set(handle) { _, context, level, text in
            guard level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING) != 0, let text else { return }
            MosquittoClient.from(context).lastLoggedError = String(cString: text)
        }
        mosquitto_message_callback_set(handle) { _, context, message in
            guard let message = message?.pointee, let topic = message.topic else { return }
            let client = MosquittoClient.from(context)
            let length = Int(max(0, message.payloadlen))
            if let limit = client.maxIncomingBytes, length > limit {
                client.events.append(.oversized(topic: String(cString: topic), bytes: length))
                return
            }
            let payload = length > 0 && message.payload != nil
                ? Array(UnsafeRawBufferPointer(start: message.payload, count: length))
                : []
            client.events.append(.message(topic: String(cString: topic), payload: payload))
        }
    }

    deinit { mosquitto_destroy(handle) }

    /// What a PUBLISH packet adds to its payload at most: header, a topic of up to 64 KiB, properties.
    static let packetOverhead = 66 * 1024

    /// Stores the CONNECT property every (re)connection sends. libmosquitto 2.0 takes CONNECT
    /// properties only in its blocking `mosquitto_connect_bind_v5`, which stores them before
    /// it checks its address; given an impossible port it stores them and returns at once, and
    /// the non-blocking connects that follow send them.
    private func setMaximumPacketSize(_ bytes: Int, keepAliveSeconds: Int32) throws(MQTTLinkError) {
        var properties: OpaquePointer? = nil
        defer { mosquitto_property_free_all(&properties) }
        try check(mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_MAXIMUM_PACKET_SIZE.rawValue), UInt32(clamping: bytes)),
                  "the largest packet to receive")
        let code = mosquitto_connect_bind_v5(handle, "", -1, keepAliveSeconds, nil, properties)
        guard code == MOSQ_ERR_INVAL.rawValue else {
            throw MQTTLinkError("cannot set the largest packet to receive: \(Self.describe(code))")
        }
    }

    private static func from(_ context: UnsafeMutableRawPointer?) -> MosquittoClient {
        Unmanaged<MosquittoClient>.fromOpaque(context!).takeUnretainedValue()
    }

    private func check(_ code: Int32, _ what: String) throws(MQTTLinkError) {
        guard code != MOSQ_ERR_SUCCESS.rawValue else { return }
        throw MQTTLinkError("cannot set \(what): \(Self.describe(code))")
    }

    /// Starts connecting without waiting for the answer; nil, or why it failed at once.
    func connect(keepAliveSeconds: Int32) -> String? {
        let code = hasConnectedOnce
            ? mosquitto_reconnect_async(handle)
            : mosquitto_connect_async(handle, address.host, Int32(address.port), keepAliveSeconds)
        hasConnectedOnce = true
        return code == MOSQ_ERR_SUCCESS.rawValue ? nil : failure(code)
    }

    /// Moves bytes both ways, waiting at most `timeoutMillis` for the socket, and returns
    /// what happened; `failure` says why the connection is unusable, if it is.
    func loop(timeoutMillis: Int32) -> (events: [Event], failure: String?) {
        let code = mosquitto_loop(handle, timeoutMillis, 1)
        let happened = events
        events.removeAll(keepingCapacity: true)
        return (happened, code == MOSQ_ERR_SUCCESS.rawValue ? nil : failure(code))
    }

    /// Queues a QoS 0 message; its number (for `.written`), or why not.
    func publish(topic: String, payload: [UInt8], retain: Bool) -> Result<Int32, MQTTLinkError> {
        var mid: Int32 = 0
        let code = payload.withUnsafeBytes {
            mosquitto_publish(handle, &mid, topic, Int32($0.count), $0.baseAddress, 0, retain)
        }
        return code == MOSQ_ERR_SUCCESS.rawValue ? .success(mid) : .failure(MQTTLinkError(Self.describe(code)))
    }

    func subscribe(topic: String) -> String? {
        let code = mosquitto_subscribe(handle, nil, topic, 0)
        return code == MOSQ_ERR_SUCCESS.rawValue ? nil : Self.describe(code)
    }

    /// Says goodbye (the broker then drops the Last Will); `loop` finishes it.
    func disconnect() { _ = mosquitto_disconnect(handle) }

    /// `describe`, with what the library logged about a TLS failure (the reason is only there).
    private func failure(_ code: Int32) -> String {
        var text = Self.describe(code)
        if code == MOSQ_ERR_TLS.rawValue, let detail = lastLoggedError { text += " (\(detail))" }
        lastLoggedError = nil
        return text
    }

    /// The library's sentence for a code; for a system error, the system's; and one for the
    /// codes the library has none for ("Unknown error.").
    static func describe(_ code: Int32) -> String {
        switch code {
        case MOSQ_ERR_ERRNO.rawValue:
            return String(cString: strerror(errno))
        case MOSQ_ERR_KEEPALIVE.rawValue:
            return "the broker stopped answering: nothing from it for 1.5 × the \(MQTTLink.keepAliveSeconds) s keepalive"
        case MOSQ_ERR_OVERSIZE_PACKET.rawValue:
            return "a packet larger than the broker or this bridge takes"
        default:
            let text = String(cString: mosquitto_strerror(code))
            return text == "Unknown error." ? "error \(code) of libmosquitto (it has no text for it)" : text
        }
    }
}

/// Why a broker connection cannot be set up or used, as one sentence.
public struct MQTTLinkError: UserFacingError {
    public let description: String
    public var sentence: String { "MQTT: " + description }
    public init(_ description: String) { self.description = description }
}
