#!/usr/bin/env python3
"""How small the history store's benchmark data could ever be: the entropy of what must be
kept, per value, for an oracle coder that knows the generator (the 1 kHz grid and the sine:
only the arrival jitter and the noise are left to store), with times kept to the µs as the
store keeps them and, for comparison, truncated to the ms as VictoriaMetrics keeps them.

    python3 scripts/store_size_bound.py [--seconds 600] [--seed 1]

No real coder reaches the bound (it must also learn the grid and the signal, and the store
keeps summaries and an index besides); it says which size targets are reachable at all.
"""
import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_store  # noqa: E402  (the benchmark's own generator, so the data are the same)


def entropy_bits(values):
    """Order-0 entropy of integer values, bits per value."""
    _, counts = np.unique(values, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n = args.seconds * 1000
    source = bench_store.Accelerometer(args.seed)
    times, values = source.chunk(n)
    channels = len(values)
    jitter_bits = entropy_bits(times - np.arange(n, dtype=np.int64) * source.period_us)
    ms = (times + bench_store.START_US) // 1000
    ms_bits = entropy_bits(np.diff(np.diff(ms)))
    noise_bits = 0.5 * math.log2(2 * math.pi * math.e * 3.0 ** 2)  # N(0, 3) counts, rounded
    print("%d s of the benchmark's 1 kHz x %d data (seed %d)" % (args.seconds, channels, args.seed))
    print("arrival jitter against the 1 kHz grid: %.2f bits a sample (times to the µs)" % jitter_bits)
    print("times truncated to the ms, delta of delta: %.3f bits a sample" % ms_bits)
    print("noise of each value, N(0, 3) rounded: %.2f bits" % noise_bits)
    for label, time_bits in (("µs times (the store)", jitter_bits), ("ms times (VictoriaMetrics)", ms_bits)):
        per_value = (time_bits + channels * noise_bits) / channels / 8
        print("bound with %s: %.3f bytes a value" % (label, per_value))


if __name__ == "__main__":
    main()
