"""fbank throughput: metricvox against kaldi-native-fbank, same files, same options, same run.

    python bench/fbank_speed.py [--minutes 10] [--repeats 3]

Writes speech-like wav files (16 kHz, 16-bit, 10 s each) and a wav.scp in a
temporary directory, then times, from wav.scp to a binary ark:
  (a) metricvox: the library call metricvox-compute-feats makes;
  (b) kaldi-native-fbank: wavs read with soundfile, features through
      knf.OnlineFbank, the ark written with kaldiio.
Both use Kaldi's fbank with 80 mel bins and dither 0 (knf's default dither
differs from Kaldi's, so both are pinned). The two sides run alternately,
--repeats times each, and each side's fastest run counts. Prints seconds,
x real time, and the throughput ratio metricvox / knf (above 1.0: metricvox
is faster).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import kaldi_native_fbank as knf
import kaldiio
import numpy as np
import soundfile

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from features_signals import speech_like  # noqa: E402
from metricvox.features.extraction import FeatureExtractor, compute_feats_table  # noqa: E402
from metricvox.progress import set_quiet  # noqa: E402

RATE = 16000
FILE_SECONDS = 10.0
NUM_MEL_BINS = 80


def make_corpus(directory, minutes):
    lines = []
    for i in range(int(np.ceil(minutes * 60 / FILE_SECONDS))):
        path = directory / f"utt{i:04d}.wav"
        soundfile.write(path, speech_like(FILE_SECONDS, RATE, seed=i), RATE, subtype="PCM_16")
        lines.append(f"utt{i:04d} {path}\n")
    wav_scp = directory / "wav.scp"
    wav_scp.write_text("".join(lines))
    return wav_scp, len(lines) * FILE_SECONDS


def run_metricvox(wav_scp, ark):
    extractor = FeatureExtractor.from_settings(
        "fbank", overrides={"num-mel-bins": NUM_MEL_BINS, "dither": 0.0})
    compute_feats_table(f"scp:{wav_scp}", f"ark:{ark}", extractor)


def run_knf(wav_scp, ark):
    options = knf.FbankOptions()
    options.frame_opts.dither = 0.0
    options.mel_opts.num_bins = NUM_MEL_BINS
    with kaldiio.WriteHelper(f"ark:{ark}") as writer:
        for line in wav_scp.read_text().splitlines():
            key, path = line.split(maxsplit=1)
            samples, rate = soundfile.read(path, dtype="float32")
            computer = knf.OnlineFbank(options)
            computer.accept_waveform(rate, (samples * 32768.0).tolist())
            computer.input_finished()
            frames = [computer.get_frame(i) for i in range(computer.num_frames_ready)]
            writer(key, np.array(frames, dtype=np.float32))


def fastest_interleaved(repeats, *runs):
    """Fastest time of each (function, args) run, alternating them so that load from
    other processes on the machine falls on both sides alike."""
    best = [float("inf")] * len(runs)
    for _ in range(repeats):
        for i, (function, args) in enumerate(runs):
            start = time.perf_counter()
            function(*args)
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="audio to process")
    parser.add_argument("--repeats", type=int, default=3, help="runs per side, fastest counts")
    args = parser.parse_args()
    set_quiet(True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wav_scp, seconds = make_corpus(tmp, args.minutes)
        ours, theirs = fastest_interleaved(
            args.repeats, (run_metricvox, (wav_scp, tmp / "metricvox.ark")),
            (run_knf, (wav_scp, tmp / "knf.ark")))
        # Same features, so the comparison is between equals.
        a, b = dict(kaldiio.load_ark(str(tmp / "metricvox.ark"))), dict(
            kaldiio.load_ark(str(tmp / "knf.ark")))
        max_diff = max(float(np.max(np.abs(a[k] - b[k]))) for k in a)
    print(f"audio: {seconds / 60:.1f} min in {len(a)} files, fbank {NUM_MEL_BINS} bins, "
          f"dither 0, wav.scp -> ark")
    print(f"metricvox:           {ours:7.2f} s  {seconds / ours:8.1f} x real time")
    print(f"kaldi-native-fbank:  {theirs:7.2f} s  {seconds / theirs:8.1f} x real time")
    print(f"throughput ratio metricvox/knf: {theirs / ours:.2f}")
    print(f"max |metricvox - knf| over all features: {max_diff:.2e}")


if __name__ == "__main__":
    main()
