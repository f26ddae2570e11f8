#!/usr/bin/env python3
"""Synthesizes the shipped accelerometer logs (no board was at hand when they were made).

It models what the seed sketch (hardware/adxl335_graph/adxl335_graph.ino) prints: an
ADXL335 powered at 3.3 V read by a 5 V Arduino's 10-bit ADC, so 0 g is about 1.65 V
(338 counts) and 1 g is 330 mV (about 67.6 counts); the board is tilted slowly by hand
(pitch and roll up to about 60 degrees), with +-2 counts of ADC noise. Lines are
`%03d,%03d,%03d` followed by CR LF (Serial.println), one every 20 ms (50 Hz).

Writes, deterministically (fixed seed):
  tilt-60s-50hz.log      the bridge's timestamped recording format, 20 ms apart with
                         USB-style jitter of up to +-1.5 ms (60 s, 3000 lines)
  tilt-60s-50hz.raw      the same lines as a raw capture (`cat /dev/ttyACM0 > file`)
  reset-noise-10s.raw    a raw capture that starts mid-line, has a board reset in the
                         middle (bootloader garbage, a NUL, a half line, the sketch's banner)
                         and a header line naming the channels

Run: python3 hardware/recordings/synthesize.py  (from anywhere)
"""
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ZERO_G = 1.65 / (5.0 / 1024)     # 337.9 counts
PER_G = 0.330 / (5.0 / 1024)     # 67.6 counts


def tilt_lines(seconds, rate, rng):
    lines = []
    for i in range(int(seconds * rate)):
        t = i / rate
        pitch = math.radians(60) * math.sin(2 * math.pi * t / 12.0) * min(1.0, t / 3.0)
        roll = math.radians(45) * math.sin(2 * math.pi * t / 7.5 + 1.0) * min(1.0, t / 3.0)
        gx = math.sin(pitch)
        gy = -math.sin(roll) * math.cos(pitch)
        gz = math.cos(roll) * math.cos(pitch)
        counts = [int(round(ZERO_G + PER_G * g + rng.uniform(-2, 2))) for g in (gx, gy, gz)]
        lines.append("%03d,%03d,%03d" % tuple(counts))
    return lines


def write_recording(path, lines, rate, rng, started=1763683200.0):
    with open(path, "w", newline="\n") as out:
        out.write("# sensorbridge recording v1\n")
        out.write("# started %.6f source synthesized ADXL335 tilt session (hardware/recordings/synthesize.py) baud 9600\n" % started)
        for i, line in enumerate(lines):
            jitter = 0 if i == 0 else rng.uniform(-0.0015, 0.0015)
            out.write("%.6f %s\n" % (i / rate + jitter, line))


def main():
    rng = random.Random(20121121)
    lines = tilt_lines(60, 50, rng)
    write_recording(os.path.join(HERE, "tilt-60s-50hz.log"), lines, 50, rng)
    with open(os.path.join(HERE, "tilt-60s-50hz.raw"), "wb") as out:
        out.write("".join(line + "\r\n" for line in lines).encode())

    noisy = tilt_lines(10, 50, random.Random(7))
    data = bytearray()
    data += noisy[0][4:].encode() + b"\r\n"                       # port opened mid-line
    data += b"x,y,z\r\n"                                          # the sketch's header
    data += "".join(l + "\r\n" for l in noisy[1:250]).encode()
    data += noisy[250][:5].encode()                               # reset cuts a line short
    data += bytes([0x00, 0xF0, 0xFE, 0xFF, 0x80]) + b"\r\n"       # bootloader garbage
    data += b"ADXL335 ready\r\n"                                  # banner after the reset
    data += b"x,y,z\r\n"
    data += "".join(l + "\r\n" for l in noisy[251:]).encode()
    with open(os.path.join(HERE, "reset-noise-10s.raw"), "wb") as out:
        out.write(bytes(data))


if __name__ == "__main__":
    main()
