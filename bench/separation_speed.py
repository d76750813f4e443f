"""Spleeter separation speed and memory: chunked (the tool's way) against the whole track at once.

    python3 bench/separation_speed.py                  # a 3-minute stereo track, CPU
    python3 bench/separation_speed.py --seconds 600 --threads 4

The torch backend separates the track --batch-sizes segments (512 frames, 11.9 s
each) at a time; the peer, measured in the same run, is the same code with every
segment in one batch and the whole track's spectrogram at once (no chunking), which is
how a naive port runs it. The track is a synthetic stereo mixture (tones and noise;
the content does not change the work). Each measurement runs in a fresh process
after a short warm-up separation, --repeats times (the fastest counts: the machines
these run on are shared and single runs vary); peak memory is the growth of its resident set
during the separation (Linux's VmHWM, reset before it; ru_maxrss elsewhere), which
includes the track and the output (about 2 x 4 bytes x 2 channels x samples) as well as
the network's activations. Prints seconds of audio separated per second of
wall-clock time, peak MB, and the ratios against the unchunked peer (above 1.0:
the chunked run is faster, or smaller). Also checks that the outputs agree.
"""
import argparse
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np

from peak_memory import peak_kb, start_peak_measurement

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RATE = 44100


def synthetic_track(seconds, seed=0):
    """(samples, 2) float32: a few drifting tones over noise, different in each channel."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    track = 0.02 * rng.standard_normal((len(t), 2))
    for pitch in rng.uniform(100, 2000, 6):
        wobble = 1 + 0.01 * np.sin(2 * np.pi * rng.uniform(0.1, 1) * t)
        track += 0.1 * np.sin(2 * np.pi * pitch * t * wobble)[:, None] * rng.uniform(0.5, 1, 2)
    return (track / np.abs(track).max() * 0.9).astype(np.float32)


def _measure(seconds, batch_size, threads, connection):
    import torch
    torch.set_num_threads(threads)
    from metricvox.separation.separator import TorchSeparator
    track = synthetic_track(seconds)
    separator = TorchSeparator.from_model(batch_size=batch_size)
    separator.separate(track[:RATE])  # warm-up: one segment
    base = start_peak_measurement()
    start = time.perf_counter()
    vocals = separator.separate(track, stems=("vocals",))["vocals"]
    elapsed = time.perf_counter() - start
    connection.send((elapsed, (peak_kb() - base) / 1024.0, vocals[::97].copy()))


def measure(seconds, batch_size, threads, repeats):
    """(fastest seconds, its peak MB, output) over ``repeats`` fresh processes."""
    context = multiprocessing.get_context("spawn")
    results = []
    for _ in range(repeats):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_measure, args=(seconds, batch_size, threads, sender))
        process.start()
        results.append(receiver.recv())
        process.join()
    return min(results, key=lambda result: result[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--batch-sizes", default="1,4", help="chunked runs: segments per batch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs per setting, the fastest counts (shared machines vary)")
    args = parser.parse_args()
    frames = int(np.ceil((args.seconds * RATE + 4096) / 1024))
    segments = int(np.ceil(frames / 512))
    print(f"{args.seconds:.0f} s stereo track at 44.1 kHz: {frames} frames, {segments} segments "
          f"of 512; {args.threads} threads, CPU")
    peer_seconds, peer_mb, peer_out = measure(args.seconds, segments, args.threads, args.repeats)
    print(f"{'run':28s} {'audio s/s':>10s} {'peak MB':>9s} {'speed ratio':>12s} "
          f"{'memory ratio':>13s}")
    print(f"{'whole track (peer)':28s} {args.seconds / peer_seconds:10.2f} {peer_mb:9.0f}")
    for batch_size in (int(b) for b in args.batch_sizes.split(",")):
        elapsed, mb, out = measure(args.seconds, batch_size, args.threads, args.repeats)
        name = f"chunked, {batch_size} segment(s)/batch"
        print(f"{name:28s} {args.seconds / elapsed:10.2f} {mb:9.0f} {peer_seconds / elapsed:12.2f} "
              f"{peer_mb / mb:13.2f}   max |difference| {np.abs(out - peer_out).max():.1e}")


if __name__ == "__main__":
    main()
