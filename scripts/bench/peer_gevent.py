"""gevent-websocket broadcast server for the side-by-side benchmark: reads lines from a pty
and sends each as a JSON array [t, seq, stamp] to every client.
Usage: python3 peer_gevent.py PORT PTY"""
from gevent import monkey
monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402

clients = set()


def app(environ, start_response):
    ws = environ.get("wsgi.websocket")
    if ws is None:
        start_response("400 Bad Request", [])
        return [b"websocket only"]
    clients.add(ws)
    try:
        while ws.receive() is not None:
            pass
    finally:
        clients.discard(ws)
    return []


def feed(pty):
    from gevent.os import make_nonblocking, nb_read
    fd = os.open(pty, os.O_RDONLY)
    make_nonblocking(fd)
    rest = b""
    while True:
        data = nb_read(fd, 65536)
        lines = (rest + data).split(b"\n")
        rest = lines.pop()
        for line in lines:
            message = json.dumps([time.time() * 1000] + [float(v) for v in line.strip().split(b",")])
            for ws in list(clients):
                try:
                    ws.send(message)
                except Exception:  # noqa: BLE001 - a gone client
                    clients.discard(ws)


port, pty = int(sys.argv[1]), sys.argv[2]
gevent.spawn(feed, pty)
print("listening on %d" % port, flush=True)
WSGIServer(("127.0.0.1", port), app, handler_class=WebSocketHandler, log=None).serve_forever()
