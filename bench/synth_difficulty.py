#!/usr/bin/env python3
"""How hard is the synthetic VoxCeleb stand-in? A naive baseline's EER on veri_test.

    python bench/synth_difficulty.py --size small [--seed 0] [--out DIR]

Generates the corpus (timing it against the duration of audio it produced),
then scores every trial of vox1/veri_test.txt by the cosine between per-utterance
[mean, std] of 20 Kaldi-style MFCCs (kaldi-native-fbank) and prints the EER
(scikit-learn's ROC). The stand-in is meant to sit between 15% and 35%: hard
enough that this baseline does not solve it, easy enough for a network to learn.
"""
import argparse
import tempfile
import time
from pathlib import Path

import kaldi_native_fbank as knf
import numpy as np
import soundfile as sf
from sklearn.metrics import roc_curve

from metricvox.synth import make_corpus


def mfcc_mean_std(path):
    """[mean, std] over frames of 20 MFCCs (25 ms / 10 ms, 30 mel bins, no dither)."""
    audio, rate = sf.read(str(path), dtype="float32")
    options = knf.MfccOptions()
    options.num_ceps = 20
    options.mel_opts.num_bins = 30
    options.frame_opts.samp_freq = rate
    options.frame_opts.dither = 0.0
    computer = knf.OnlineMfcc(options)
    computer.accept_waveform(rate, (audio * 32768.0).tolist())
    computer.input_finished()
    frames = np.array([computer.get_frame(i) for i in range(computer.num_frames_ready)])
    return np.concatenate([frames.mean(0), frames.std(0)])


def equal_error_rate(labels, scores):
    false_positive, true_positive, _ = roc_curve(labels, scores)
    false_negative = 1.0 - true_positive
    i = np.argmin(np.abs(false_negative - false_positive))
    return (false_positive[i] + false_negative[i]) / 2.0


def naive_baseline_eer(corpus):
    """EER (fraction) of the MFCC mean/std cosine baseline on ``corpus``/vox1/veri_test.txt."""
    trials = [line.split() for line in (corpus / "vox1" / "veri_test.txt").read_text().splitlines()]
    utterances = sorted({u for _, e, t in trials for u in (e, t)})
    embedding = {}
    for utt in utterances:
        vector = mfcc_mean_std(corpus / "vox1" / "wav" / utt)
        embedding[utt] = vector / np.linalg.norm(vector)
    scores = [float(embedding[e] @ embedding[t]) for _, e, t in trials]
    return equal_error_rate([int(label) for label, _, _ in trials], scores), len(trials)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="corpus directory (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        corpus = args.out or Path(scratch) / "voxceleb"
        start = time.perf_counter()
        make_corpus("voxceleb", args.size, args.seed, corpus)
        wall = time.perf_counter() - start
        audio_seconds = sum(sf.info(str(p)).duration for p in (corpus / "vox1" / "wav").rglob("*.wav"))
        eer, n_trials = naive_baseline_eer(corpus)
    print(f"voxceleb {args.size} seed {args.seed}: vox1 audio {audio_seconds:.0f} s generated in "
          f"{wall:.1f} s wall clock (incl. vox2), {audio_seconds / max(wall, 1e-9):.1f}x faster than real time")
    print(f"naive MFCC mean/std cosine baseline: EER {100 * eer:.1f}% on {n_trials} trials")


if __name__ == "__main__":
    main()
