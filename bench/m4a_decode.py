"""VoxCeleb2-style m4a decoding: in-process (PyAV) against one ffmpeg process per file.

    python bench/m4a_decode.py              # 1,000 files of 2-4 s
    python bench/m4a_decode.py --files 200

Writes --files 16 kHz mono AAC m4a files (64 kb/s, 2 to 4 s of noise and tones) in a
temporary directory, then reads them all through iter_audio, the function the tools read
wav.scp with, from two wav.scp files of the same files:
  (a) plain paths (what local/make_voxceleb2.py writes now: decoded in-process);
  (b) 'ffmpeg ... -ac 1 -ar 16000 -f wav - |' pipes (what it wrote before, Kaldi's way).
Prints files/s and real-time factor of each, their ratio, and the largest sample
difference between the two (the pipe rounds to 16 bits: at most about 2**-16).
"""
import argparse
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from metricvox.data.audio import iter_audio  # noqa: E402
from metricvox.synth.audio_files import write_m4a  # noqa: E402

RATE = 16000


def make_files(root, count, seed=0):
    rng = np.random.default_rng(seed)
    paths = []
    for k in range(count):
        t = np.arange(int(RATE * rng.uniform(2.0, 4.0))) / RATE
        signal = 0.2 * np.sin(2 * np.pi * rng.uniform(100, 2000) * t) + 0.05 * rng.standard_normal(len(t))
        paths.append(root / f"{k:05d}.m4a")
        write_m4a(paths[-1], signal, RATE)
    return paths


def old_pipe(path):
    return f"ffmpeg -nostdin -loglevel error -i {shlex.quote(str(path))} -ac 1 -ar 16000 -f wav - |"


def timed_read(table):
    start = time.perf_counter()
    decoded = {key: samples for key, samples, _ in iter_audio(f"scp:{table}", sample_rate=RATE)}
    return time.perf_counter() - start, decoded


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="m4a-bench-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        paths = make_files(root, args.files)
        print(f"wrote {len(paths)} m4a files in {time.perf_counter() - start:.1f} s")
        (root / "paths.scp").write_text("".join(f"u{k:05d} {p}\n" for k, p in enumerate(paths)))
        (root / "pipes.scp").write_text("".join(f"u{k:05d} {old_pipe(p)}\n" for k, p in enumerate(paths)))
        in_process, direct = timed_read(root / "paths.scp")
        piped_time, piped = timed_read(root / "pipes.scp")
    audio_seconds = sum(len(s) for s in direct.values()) / RATE
    largest = max(float(np.max(np.abs(direct[k] - piped[k]))) for k in direct)
    for name, seconds in (("(a) in-process (PyAV)", in_process), ("(b) ffmpeg pipe per file", piped_time)):
        print(f"{name:26s} {len(direct) / seconds:8.1f} files/s  {audio_seconds / seconds:8.1f} x real time"
              f"  ({seconds:.2f} s)")
    print(f"ratio in-process / pipes: {piped_time / in_process:.1f}x faster")
    print(f"largest sample difference: {largest:.2e} (16-bit rounding of the pipe: 2**-16 = {2 ** -16:.2e})")


if __name__ == "__main__":
    main()
