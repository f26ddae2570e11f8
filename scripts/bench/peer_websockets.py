"""Python `websockets` broadcast server for the side-by-side benchmark: reads lines from a
pty and sends each as a JSON array [t, seq, stamp] to every client.
Usage: python3 peer_websockets.py PORT PTY"""
import asyncio
import json
import os
import sys
import time

import websockets

clients = set()


async def handler(connection):
    clients.add(connection)
    try:
        await connection.wait_closed()
    finally:
        clients.discard(connection)


async def main(port, pty):
    fd = os.open(pty, os.O_RDONLY | os.O_NONBLOCK)
    rest = b""

    def readable():
        nonlocal rest
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        lines = (rest + data).split(b"\n")
        rest = lines.pop()
        for line in lines:
            message = json.dumps([time.time() * 1000] + [float(v) for v in line.strip().split(b",")])
            websockets.broadcast(clients, message)

    asyncio.get_running_loop().add_reader(fd, readable)
    async with websockets.serve(handler, "127.0.0.1", port):
        print("listening on %d" % port, flush=True)
        await asyncio.Future()

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
