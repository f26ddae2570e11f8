#!/usr/bin/env python3
"""Writes `seq,stamp` lines (stamp: ms since the epoch, when written) into one or more new
pseudo-terminals at a fixed rate, the same line to each, so servers under test read the
same board. Prints each pty's path on a line, then feeds until killed.

    feeder.py RATE COUNT
"""
import os
import sys
import time

rate, count = float(sys.argv[1]), int(sys.argv[2])
ptys = [os.openpty() for _ in range(count)]
for _, slave in ptys:
    print(os.ttyname(slave), flush=True)
start = time.monotonic()
seq = 0
while True:
    delay = start + seq / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    line = ("%d,%.3f\n" % (seq, time.time() * 1000)).encode()
    for master, _ in ptys:
        try:
            os.write(master, line)
        except BlockingIOError:
            pass
    seq += 1
