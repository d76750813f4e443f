"""INS cost per 4-second clip: metricvox.analysis against a naive loop, same clip, same run.

    python3 bench/ins_speed.py [--surrogates 50] [--repeats 3] [--rate 8000]

A 4 s clip (a gated tone in noise, the tool's default 8 kHz) gets its INS at the
tool's default scales (0.01 .. 0.5) with J surrogates, by
  (a) metricvox: index_of_nonstationarity, as metricvox-ins calls it: all frames
      and tapers of a scale in one single-precision FFT call;
  (b) a naive peer: the same method written the obvious way, one double-precision
      numpy FFT per frame and taper, surrogates by numpy's FFT, then the same
      statistic and threshold.
Both draw the same surrogates (same seed), so their INS must agree (to the
single-precision round-off of (a)); the script checks it. Each side runs --repeats
times and its fastest run counts. Prints wall and CPU seconds per clip (both sides
run on one thread; on a shared machine the CPU seconds are the steadier figure),
x real time, and the speed-up of (a) over (b) in CPU time.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from metricvox.analysis.gamma_threshold import stationarity_threshold  # noqa: E402
from metricvox.analysis.hermite_tapers import hermite_tapers  # noqa: E402
from metricvox.analysis.ins import DEFAULT_SCALES, analysis_layout, index_of_nonstationarity  # noqa: E402
from metricvox.analysis.multitaper import fft_size  # noqa: E402
from metricvox.analysis.stationarity_statistic import stationarity_statistic  # noqa: E402

SECONDS = 4.0


def clip(rate):
    t = np.arange(int(SECONDS * rate)) / rate
    rng = np.random.default_rng(0)
    return np.sin(2 * np.pi * 440 * t) * ((t % 0.5) < 0.25) + 0.05 * rng.standard_normal(len(t))


def naive_spectrogram(x, window, hop, tapers):
    frames = []
    for start in range(0, len(x) - window + 1, hop):
        per_taper = [np.abs(np.fft.rfft(x[start:start + window] * h, n=fft_size(window))) ** 2
                     for h in tapers]
        frames.append(np.mean(per_taper, axis=0))
    return np.array(frames)


def naive_ins(x, scales, surrogates, seed, taper_count=5):
    rng = np.random.default_rng(seed)
    layouts = [analysis_layout(len(x), s, taper_count) for s in scales]
    theta = [stationarity_statistic(naive_spectrogram(x, w, h, hermite_tapers(w, taper_count)))
             for w, h in layouts]
    spectrum = np.fft.rfft(x)
    theta_s = []
    for _ in range(surrogates):
        randomised = np.abs(spectrum) * np.exp(1j * rng.uniform(-np.pi, np.pi, len(spectrum)))
        randomised[0] = spectrum[0]
        if len(x) % 2 == 0:
            randomised[-1] = spectrum[-1]
        s = np.fft.irfft(randomised, n=len(x))
        theta_s.append([stationarity_statistic(naive_spectrogram(s, w, h, hermite_tapers(w, taper_count)))
                        for w, h in layouts])
    theta_s = np.array(theta_s)
    return [(np.sqrt(theta[i] / theta_s[:, i].mean()), stationarity_threshold(theta_s[:, i]))
            for i in range(len(scales))]


def fastest(function, repeats):
    """((wall, cpu) seconds of the run with the least CPU time, its result)."""
    best, result = (float("inf"), float("inf")), None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu), key=lambda t: t[1])
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surrogates", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rate", type=int, default=8000)
    args = parser.parse_args()
    x = clip(args.rate)
    ours_time, ours = fastest(lambda: index_of_nonstationarity(
        x, DEFAULT_SCALES, surrogates=args.surrogates, rng=1), args.repeats)
    naive_time, naive = fastest(lambda: naive_ins(x, DEFAULT_SCALES, args.surrogates, 1), args.repeats)
    for point, (ins, threshold) in zip(ours, naive):
        if not (np.isclose(point.ins, ins, rtol=1e-3) and np.isclose(point.threshold, threshold, rtol=1e-3)):
            raise SystemExit(f"the two disagree at scale {point.scale}: {point} vs {ins}, {threshold}")
    print(f"clip: {SECONDS:g} s at {args.rate} Hz, scales {','.join(f'{s:g}' for s in DEFAULT_SCALES)}, "
          f"J={args.surrogates} surrogates, K=5 tapers, fastest of {args.repeats}")
    print("INS / threshold: " + " ".join(f"{p.scale:g}:{p.ins:.3g}/{p.threshold:.3g}" for p in ours))
    for name, (wall, cpu) in (("metricvox.analysis", ours_time), ("naive loop", naive_time)):
        print(f"{name:20s} {wall:7.2f} s wall, {cpu:7.2f} s CPU per clip  "
              f"{cpu / SECONDS:6.2f} x real time (CPU)")
    print(f"speed-up metricvox / naive (CPU time): {naive_time[1] / ours_time[1]:.2f}")


if __name__ == "__main__":
    main()
