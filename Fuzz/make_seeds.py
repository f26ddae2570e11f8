#!/usr/bin/env python3
"""Writes the committed seed corpora (Fuzz/Seeds/<Target>/) and dictionaries (Fuzz/Dictionaries/)
from the project's own examples: the recordings in hardware/recordings, the browser handshakes
in Tests/Fixtures/handshakes, the line formats of Tests/SensorBridgeCoreTests and the
messages of docs/protocol.md and docs/scale-out.md. Run it again after changing it:

    python3 Fuzz/make_seeds.py

Each target's control bytes (see the top of its main.swift) come first in its seeds.
"""
import os
import shutil
import struct

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
SEEDS = os.path.join(FUZZ, "Seeds")
DICTS = os.path.join(FUZZ, "Dictionaries")


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def head_lines(data, count):
    """The first `count` lines of `data`, terminators kept."""
    out, rest = b"", data
    for _ in range(count):
        end = rest.find(b"\n")
        if end < 0:
            return out + rest
        out, rest = out + rest[: end + 1], rest[end + 1 :]
    return out


def write(target, name, data):
    folder = os.path.join(SEEDS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# --- FuzzLines: [limit][cut1][cut2] + bytes from the board -------------------------------

def lines_seeds():
    t = "FuzzLines"
    write(t, "tilt-raw-crlf", bytes([0, 85, 170]) + head_lines(read("hardware/recordings/tilt-60s-50hz.raw"), 40))
    write(t, "reset-noise", bytes([0, 40, 200]) + read("hardware/recordings/reset-noise-10s.raw")[:1500])
    firmware = [line.split(b" ", 1)[1] for line in head_lines(read("hardware/recordings/firmware-tilt-60s-50hz.log"), 22).splitlines()[2:]]
    write(t, "firmware-header-lf", bytes([0, 10, 128]) + b"\n".join(firmware) + b"\n")
    write(t, "separators", bytes([0, 60, 120]) + b"512 498 620\r\n512, 498, 620\r\n512;498;620\r\n512\t498\t620\r\n"
          b"  512   498 620  \r\n512,498,620,\r\n-0.98,1.5e2,+3,.5,2.,1E-3\r\n007,010,999\r\n")
    write(t, "labelled", bytes([0, 100, 200]) + b"pitch:1,roll:2,yaw:3\nAcX=1 AcY=-2 AcZ=16384\n"
          b"AcX = 1 | AcY = -2 | AcZ = 16384\nx:512 y:498 z:620\ntemp:21.5\nhum:40\na:1,b:2\n")
    write(t, "header-then-numbers", bytes([0, 20, 240]) + b"accel_x\taccel_y\r\n1\t2\r\n3\t4\r\nax,ay,az\r\n4,5,6\r\n7,8,9\r\n")
    write(t, "relayout", bytes([0, 50, 150]) + b"1,2,3\n4,5,6\n7,8\n9,10\n11,12\n13,14\n1 2 3 4 5 6 7 8 9\n")
    write(t, "messages-and-garbage", bytes([0, 90, 91]) + b"# rate 100 Hz, channels x:A0\nADXL335 ready\nhello world\n"
          b"1,,3\n,1,2\n1,abc,3\n1,inf,3\n1,nan,3\n0x10,2,3\n1.2.3\nq=\n1\x002\n\x01\x02\n\xff\xfe,1\n")
    write(t, "cr-only", bytes([0, 127, 128]) + b"336,339,406\r337,336,404\r\r339,337,405\r")
    write(t, "overlong-limit-7", bytes([2 | 1, 30, 31]) + b"123456789012\n1,2\n3,4\n" + b"9" * 80 + b"\n5,6\n")
    write(t, "overlong-limit-64", bytes([2, 200, 201]) + b"1," * 40 + b"\n1,2,3\n4,5,6\n")
    write(t, "many-channels", bytes([0, 0, 255]) + b",".join(str(i).encode() for i in range(70)) + b"\n"
          + b" ".join(b"s%d:1" % i for i in range(66)) + b"\n")


# --- FuzzRecording: [rate][cut1][cut2][offset or rate, 8 bytes LE] + the file -----------

def recording_header(rate_mode, cut1, cut2, value):
    if isinstance(value, float):
        packed = struct.pack("<d", value)
    else:
        packed = struct.pack("<q", value)
    return bytes([rate_mode, cut1, cut2]) + packed


def recording_seeds():
    t = "FuzzRecording"
    write(t, "tilt-recording", recording_header(0, 80, 160, 20013) + head_lines(read("hardware/recordings/tilt-60s-50hz.log"), 60))
    write(t, "firmware-recording", recording_header(0, 3, 250, 0) + head_lines(read("hardware/recordings/firmware-tilt-60s-50hz.log"), 30))
    write(t, "tilt-raw", recording_header(1, 100, 101, 1_000_000) + head_lines(read("hardware/recordings/tilt-60s-50hz.raw"), 40))
    write(t, "reset-noise-raw", recording_header(2, 10, 240, 7) + read("hardware/recordings/reset-noise-10s.raw")[:1500])
    write(t, "escapes-and-bad-lines", recording_header(0, 40, 41, 1763683200123456) +
          b"# sensorbridge recording v1\n# started 1763683200.000000 source /dev/ttyACM0 baud 9600\n"
          b"0.000000 x,y,z\n0.020013 1,2,3\n0.040000 \\x00\\xff\\\\ok\n\n# a comment\n"
          b"12.5 1,2\n1.1234567 1,2\nabc 1,2\n0.1\n-1.000000 1,2\n0.5 bad\\q\n0.6 \\x4\n"
          b"99999999999999999999.000000 1\n0.700000 cut off")
    write(t, "raw-rate-as-double", recording_header(3, 128, 129, 0.5) + b"1,2,3\r\n4,5,6\r7,8,9\n\r\n")
    write(t, "short-magic-prefix", recording_header(0, 5, 6, 42) + b"# sensorbridge rec\n1,2\n")
    write(t, "round-trip-binary", recording_header(0, 0, 0, 999999) + bytes(range(0, 256, 7)) + b"\\x41\\")


# --- FuzzMQTTPayload: payloads, one per line ----------------------------------------------

STATUS = (b'{"type":"status","state":"connected","detail":"opened /dev/ttyACM0 at 9600 baud","stream":"3jlncpa17h5n6",'
          b'"seq":1200,"source":{"kind":"serial","name":"/dev/ttyACM0","baud":9600},"bridge":"online"}')
CHANNELS = b'{"type":"channels","seq":0,"channels":["x","y","z"]}'
SAMPLES = b'{"type":"samples","seq":1200,"samples":[[1763683200123.456,512,498,620],[1763683200143.501,513,497,621]]}'
WILL = (b'{"type":"status","state":"disconnected","detail":"the bridge publishing lab/bench1 is gone: its connection '
        b'to the broker broke","stream":"3jlncpa17h5n6","bridge":"gone"}')


def mqtt_seeds():
    t = "FuzzMQTTPayload"
    write(t, "status-channels-samples", b"\n".join([STATUS, CHANNELS, SAMPLES]))
    write(t, "gap-then-restart", b"\n".join([
        STATUS, SAMPLES,
        b'{"type":"samples","seq":1210,"samples":[[1763683200343.5,1,2,3]]}',
        b'{"type":"status","state":"connected","detail":"","stream":"newrun01","seq":0,"bridge":"online"}',
        b'{"type":"samples","seq":0,"samples":[[1763683300000.0,4,null,6],[1763683300020.0,7,8]]}',
        b'{"type":"samples","seq":1,"samples":[]}',
    ]))
    write(t, "last-will", b"\n".join([STATUS, WILL, b'{"type":"status","state":"stopped","detail":"stopped","bridge":"stopped"}']))
    write(t, "nulls-and-names", b"\n".join([
        b'{"type":"channels","seq":5,"channels":["AcX","AcY","AcZ","temp"]}',
        b'{"type":"samples","seq":5,"samples":[[0,1,2,3,null],[-1.5,null,null,null,null]]}',
        b'{"type":"samples","seq":7,"samples":[[1e14,0.5e-3,-0,1E2]]}',
    ]))
    # Numbers at the edge of UInt64, as anyone who may publish on the topic can send them.
    write(t, "seq-at-the-edge", b"\n".join([
        b'{"type":"status","state":"connected","detail":"","stream":"edge","seq":18446744073709551614,"bridge":"online"}',
        b'{"type":"samples","seq":18446744073709551613,"samples":[[1,1],[2,2]]}',
        b'{"type":"channels","seq":18446744073709551615,"channels":["a"]}',
    ]))
    # Lines lost on the wire at the edge (`lost`), and what no edge sends: too many, negative,
    # not whole, not a number, on a message with no rows, repeated.
    write(t, "lines-lost", b"\n".join([
        STATUS, CHANNELS, SAMPLES,
        b'{"type":"samples","seq":1202,"stream":"3jlncpa17h5n6","lost":3,"samples":[[1763683200223.5,1,2,3],[1763683200243.5,4,5,6]]}',
        b'{"type":"samples","seq":1202,"stream":"3jlncpa17h5n6","lost":3,"samples":[[1763683200223.5,1,2,3]]}',
        b'{"type":"samples","lost":1048576,"seq":1204,"samples":[[1763683200263.5,7,8,9]]}',
        b'{"type":"samples","seq":1205,"lost":1048577,"samples":[[1763683200283.5,1,1,1]]}',
        b'{"type":"samples","seq":1205,"lost":-1,"samples":[[1763683200283.5,1,1,1]]}',
        b'{"type":"samples","seq":1205,"lost":1.5,"samples":[[1763683200283.5,1,1,1]]}',
        b'{"type":"samples","seq":1205,"lost":18446744073709551616,"samples":[[1763683200283.5,1,1,1]]}',
        b'{"type":"samples","seq":1205,"lost":"2","samples":[[1763683200283.5,1,1,1]]}',
        b'{"type":"samples","seq":1205,"lost":null,"samples":[[1763683200283.5,1,1,1]]}',
        b'{"type":"samples","seq":1205,"lost":2,"samples":[]}',
        b'{"type":"samples","seq":1205,"lost":1,"lost":1048576,"samples":[[1763683200283.5,1,1,1]]}',
    ]))
    write(t, "not-ours", b"\n".join([
        b'{"type":"hello","protocol":"sensorbridge.batch.v1"}', b'{"type":"gap","missed":1200,"seq":5200}',
        b'{"type":"samples","seq":-1,"samples":[[1]]}', b'{"type":"samples","samples":[[null,1]]}',
        b'{"type":"status","state":"sleeping"}', b"[1,2,3]", b"", b"null", b'{"type":1}', b'\xff{"type":"status"}',
    ]))


# --- FuzzHandshake: [flags][cut1][cut2][addr] + what the client sends ----------------------

def masked(opcode, payload, fin=True, mask=b"\x12\x34\x56\x78"):
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    if length < 126:
        head = bytes([first, 0x80 | length])
    else:
        head = bytes([first, 0x80 | 126]) + struct.pack(">H", length)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def rewritten(request, host=b"127.0.0.1:8080"):
    """The request line as GET /graph HTTP/1.1, Host and Origin pointing at the bridge (as the tests do)."""
    head, sep, rest = request.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    lines[0] = b"GET /graph HTTP/1.1"
    out = []
    for line in lines:
        name = line.split(b":", 1)[0].lower()
        if name == b"host":
            line = b"Host: " + host
        elif name in (b"origin", b"sec-websocket-origin"):
            line = line.split(b":", 1)[0] + b": http://" + host
        out.append(line)
    return b"\r\n".join(out) + sep + rest


def handshake_seeds():
    t = "FuzzHandshake"
    folder = os.path.join(ROOT, "Tests/Fixtures/handshakes")
    frames = masked(0x9, b"hi") + masked(0x1, b"hello") + masked(0x8, b"\x03\xe8bye")
    hixie_frames = b"\x00hello\xff\x80\x03abc\xff\x00"
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".http"):
            continue
        data = open(os.path.join(folder, name), "rb").read()
        hixie = b"Sec-WebSocket-Key1" in data
        after = hixie_frames if hixie else frames
        base = name[: -len(".http")]
        # As captured (their own Host and Origin), to an open bridge, in one read.
        write(t, base + "-open", bytes([2, 255, 255, 0]) + data + after)
        # Rewritten to the bridge, default access, cut in three reads.
        write(t, base, bytes([0, 120, 200, 0]) + rewritten(data) + after)

    rfc = (b"GET /graph HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
    batched = rfc.replace(b"GET /graph ", b"GET /graph?history=2.5 ") + b"Sec-WebSocket-Protocol: sensorbridge.batch.v1, chat\r\n\r\n"
    write(t, "batched-send", bytes([8, 90, 180, 0]) + batched +
          masked(0x1, b'{"type":"send","line":"rate 100","ending":"crlf"}') +
          masked(0x1, b'{"type":"send","line":"a\\nb"}') + masked(0x1, b'{"type":"send","ending":"xx"}') +
          masked(0x1, b'{"type":"other"}') + masked(0xA, b"") + masked(0x8, b""))
    write(t, "resume", bytes([0, 200, 210, 0]) + rfc.replace(b"GET /graph ", b"GET /graph?stream=@ID@&after=1 ") +
          b"Sec-WebSocket-Protocol: sensorbridge.batch.v1\r\n\r\n" + masked(0x8, b"\x03\xe8"))
    write(t, "bad-frames", bytes([0, 150, 151, 0]) + rfc + b"\r\n" + masked(0x1, b"\xce\xba\xe1", fin=False) +
          masked(0x0, b"\xbd\xb9\xcf") + masked(0x1, b"\xff") + bytes([0x81, 0x02]) + b"hi" + masked(0x3, b"") +
          masked(0x8, b"\x03"))
    write(t, "echo-fragments", bytes([4, 100, 101, 0]) + rfc.replace(b"/graph", b"/echo") + b"\r\n" +
          masked(0x1, b"frag", fin=False) + masked(0x9, b"p") + masked(0x0, b"ment") + masked(0x2, b"\x00\x01") +
          masked(0x8, b"\x03\xe8\xce\xba"))
    write(t, "http-endpoints", bytes([0, 50, 150, 0]) +
          b"GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n"
          b"HEAD /api/status HTTP/1.1\r\nHost: localhost\r\n\r\n"
          b"GET /api/lines?after=1 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"
          b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
          b"GET /nothing HTTP/1.0\r\n\r\n")
    write(t, "refusals", bytes([0, 60, 61, 0]) +
          b"POST /graph HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc"
          b"GET /graph HTTP/1.1\r\nHost: evil.example\r\nUpgrade: websocket\r\n\r\n")
    write(t, "token", bytes([1, 80, 160, 0]) + rfc.replace(b"GET /graph ", b"GET /graph?token=t0ken ") + b"\r\n" +
          masked(0x8, b"\x03\xe8"))
    write(t, "token-bearer-named", bytes([3, 80, 160, 0]) +
          b"GET /api/status HTTP/1.1\r\nHost: bridge.local:8080\r\nOrigin: http://example.com\r\nAuthorization: Bearer t0ken\r\n\r\n")
    write(t, "hixie-key3-late-timeout", bytes([0x20, 254, 255, 0]) +
          rewritten(read("Tests/Fixtures/handshakes/hixie-76-draft-example.http"))[:-4])
    write(t, "version-and-keys", bytes([0, 30, 220, 1]) +
          rfc.replace(b"Version: 13", b"Version: 8") + b"Sec-WebSocket-Origin: http://127.0.0.1\r\n\r\n" +
          rfc.replace(b"Version: 13", b"Version: 12") + b"\r\n")
    write(t, "garbage", bytes([0x40, 10, 20, 0]) + b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"A" * 300 + b"\r\n\r\n")
    write(t, "max-clients-0", bytes([0x10, 255, 255, 0]) + rfc + b"\r\n")


# --- FuzzMisc: [which] + fields, one per line ------------------------------------------------

def misc_seeds():
    t = "FuzzMisc"
    for i, address in enumerate([b"mqtt://user:pa%23ss@127.0.0.1:1883/lab/bench1", b"mqtts://[::1]/a/b/",
                                 b"tcp://broker.local:99999/x", b"mqtt://h/lab/#", b"ssl://host", b"mqtt://h:1883/a?x=1"]):
        write(t, "address-%d" % i, bytes([0]) + address)
    write(t, "access-origin", bytes([1]) + b"/graph\ntoken=abc&x=1\nlocalhost:8080\nhttp://localhost:8080\n"
          b"Bearer abc\nHTTP://Example.COM:80/\nbridge.local\nabc\n1")
    write(t, "access-ipv6", bytes([1]) + b"/api/status\n\n[::1]:8080\nhttps://[::1]:8443\n\nnull\n[FE80::1%eth0]:80\n\n0")
    write(t, "access-two-hosts", bytes([1]) + b"/metrics\ntoken=a%20b\na,b\n\nbearer a b\n*\n*\na b\n1")
    write(t, "monitor", bytes([2]) + bytes([5, 0, 3]) + b"abc" + bytes([1, 2]) + b"rate" + bytes([2, 3]) + b"abc\x00\xff"
          + bytes([3]) + bytes(8) + bytes([0x83]) + bytes([0, 0, 0, 0, 0, 0, 0, 1]) + bytes([0, 200]) + b"x" * 400)
    write(t, "json-text", bytes([3]) + "AcX\u2028\"quote\\ tab\t nul\x00 del\x7f é 𝄞\nsecond".encode())
    write(t, "json-time", bytes([3]) + struct.pack(">q", 1763683200123456))
    write(t, "home-assistant", bytes([4]) + b"mqtt://127.0.0.1/lab/bench1\nAcX\n/dev/ttyACM0")
    write(t, "home-assistant-odd", bytes([4]) + b"mqtt://h/a b/c\nx/y+z's\\\n")
    for i, doc in enumerate([STATUS, SAMPLES, WILL, b' [1, -0.5e-3, 1E+2, null, true, false, {"a": {}}] ',
                             b'"\\u00e9\\ud834\\udd1e\\ud800 \\/\\b\\f\\n\\r\\t"', b"-0", b"18446744073709551616",
                             b"[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]", b'{"a":1,}', b"01", b"1.", b'"\xc3\xa9"']):
        write(t, "json-%d" % i, bytes([6]) + doc)
    write(t, "subprotocols-send", bytes([5]) + b"sensorbridge.batch.v1, chat\n chat ,,\nrate 100\nline\twith tab\nbad\x01\n" + b"y" * 210)


# --- Dictionaries ----------------------------------------------------------------------------

def dictionary(name, words):
    os.makedirs(DICTS, exist_ok=True)
    with open(os.path.join(DICTS, name + ".dict"), "w") as f:
        for word in words:
            escaped = "".join(chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else "\\x%02X" % b for b in word)
            f.write('"%s"\n' % escaped)


def dictionaries():
    dictionary("FuzzLines", [b",", b";", b"|", b"\t", b" ", b"=", b":", b"#", b"\r\n", b"\r", b"\n", b"\x00", b"e-",
                             b"E+", b".5", b"-0.98", b"1e308", b"nan", b"inf", b"x,y,z", b"AcX = ", b" | ", b"x:", b"\xc3\xa9",
                             b"\xff"])
    dictionary("FuzzRecording", [b"# sensorbridge recording v1\n", b"# started ", b"\\x", b"\\\\", b"0.000000 ", b".",
                                 b" ", b"\n", b"\r\n", b"\r", b"999999999999"])
    dictionary("FuzzMQTTPayload", [b'"type"', b'"samples"', b'"channels"', b'"status"', b'"seq"', b'"state"',
                                   b'"detail"', b'"stream"', b'"source"', b'"bridge"', b'"kind"', b'"name"', b'"baud"',
                                   b'"online"', b'"stopped"', b'"gone"', b'"connected"', b'"disconnected"', b'"starting"',
                                   b'"finished"', b'"lost"', b"1048576", b"null", b"true", b"[[", b"]]", b"18446744073709551615", b"1e15",
                                   b"-1", b"\\u0000", b"\\ud800", b"\n"])
    dictionary("FuzzHandshake", [b"GET ", b" HTTP/1.1\r\n", b"\r\n\r\n", b"Host: ", b"Upgrade: websocket\r\n",
                                 b"Connection: Upgrade\r\n", b"Sec-WebSocket-Key: ", b"dGhlIHNhbXBsZSBub25jZQ==",
                                 b"Sec-WebSocket-Version: ", b"Sec-WebSocket-Protocol: ", b"sensorbridge.batch.v1",
                                 b"Sec-WebSocket-Key1: ", b"Sec-WebSocket-Key2: ", b"Origin: ", b"Sec-WebSocket-Origin: ",
                                 b"Authorization: Bearer ", b"/graph", b"/echo", b"/api/status", b"/api/lines",
                                 b"/metrics", b"?history=", b"&after=", b"stream=@ID@", b"token=t0ken", b"127.0.0.1",
                                 b"localhost", b"\x81\x85", b"\x88\x80", b"\x89\x80", b"\x80\x80", b"\x00", b"\xff",
                                 b"\xff\x00", b'{"type":"send","line":"', b"Content-Length: ", b"Transfer-Encoding: chunked",
                                 b"18446744073709551615", b"1e30", b"0x1p70"])
    dictionary("FuzzMisc", [b"mqtt://", b"mqtts://", b"tcp://", b"ssl://", b"@", b":", b"[::1]", b"%23", b"%00",
                            b"http://", b"https://", b"localhost", b"127.0.0.1", b"::ffff:127.0.0.1", b".localhost",
                            b"Bearer ", b"token=", b"\n", b"*", b"null", b"\xe2\x80\xa8", b"\x00", b"sensorbridge.batch.v1"])


if __name__ == "__main__":
    shutil.rmtree(SEEDS, ignore_errors=True)
    lines_seeds()
    recording_seeds()
    mqtt_seeds()
    handshake_seeds()
    misc_seeds()
    dictionaries()
    for target in sorted(os.listdir(SEEDS)):
        files = os.listdir(os.path.join(SEEDS, target))
        size = sum(os.path.getsize(os.path.join(SEEDS, target, f)) for f in files)
        print("%-16s %3d seeds, %6d bytes" % (target, len(files), size))
