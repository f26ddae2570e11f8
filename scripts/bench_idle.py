#!/usr/bin/env python3
"""The bridge's cost when little happens: 50 lines/s from a pty (scripts/bench/feeder.py),
one batched WebSocket client, 20 s. Prints RSS at start and the server's share of a core.

    python3 scripts/bench_idle.py [--binary .build/release/sensorbridge] [--rate 50] [--seconds 20]
"""
import argparse, asyncio, os, subprocess, sys, time

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(HERE, "..", ".build", "release", "sensorbridge"))
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--port", type=int, default=18410)
    options = parser.parse_args()
    feeder = subprocess.Popen([sys.executable, os.path.join(HERE, "bench", "feeder.py"), str(options.rate), "1"],
                              stdout=subprocess.PIPE, text=True)
    pty = feeder.stdout.readline().strip()
    server = subprocess.Popen([options.binary, pty, "--port", str(options.port), "--log-level", "error"],
                              stdout=subprocess.DEVNULL)
    try:
        time.sleep(1.5)

        def rss():
            with open(f"/proc/{server.pid}/status") as status:
                return int(next(l for l in status if l.startswith("VmRSS")).split()[1]) / 1024

        def cpu():
            with open(f"/proc/{server.pid}/stat") as stat:
                fields = stat.read().split(")")[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        print("RSS at start: %.1f MB" % rss())

        async def watch():
            async with websockets.connect(f"ws://127.0.0.1:{options.port}/graph",
                                          subprotocols=["sensorbridge.batch.v1"]) as ws:
                start, before, messages = time.time(), cpu(), 0
                while time.time() - start < options.seconds:
                    await ws.recv()
                    messages += 1
                elapsed = time.time() - start
                print("one batched client at %g lines/s: %.2f %% of a core over %.0f s (%d messages), RSS %.1f MB"
                      % (options.rate, (cpu() - before) / elapsed * 100, elapsed, messages, rss()))

        asyncio.run(watch())
    finally:
        server.terminate()
        feeder.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
