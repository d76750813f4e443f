"""On-the-fly augmentation: what each augmentation adds to the cost of a training crop.

    python bench/augment_speed.py [--crops 30] [--seconds 2]

Writes, in a temporary directory, MUSAN- and RIRS_NOISES-layout corpora of noise (10 s
files), music (30 s), speech (15 s) and room responses (0.5-1 s, 16 kHz), and a wav.scp of
8 s recordings; then times crops of ``--seconds`` s (80-bin fbank, as metricvox-train
reads them through WavCrops) with no augmentation (the peer), with each augmentation
drawn every time, and with all of them drawn every time (each the fastest of 5 passes, taken in turn). For scale it also times a Thin
ResNet34 (angleproto) training step per crop on this CPU. Prints ms per crop and the ratio
to the plain crop.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from metricvox.augment.augmenter import build_augmentation  # noqa: E402
from metricvox.features.extraction import FeatureExtractor  # noqa: E402
from metricvox.nnet.crop_sources import WavCrops  # noqa: E402
from metricvox.nnet.losses import build_loss  # noqa: E402
from metricvox.nnet.models import build_model  # noqa: E402
from metricvox.nnet.training.config import validate_config  # noqa: E402

RATE, BINS = 16000, 80


def write(path, samples):
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, samples, RATE, subtype="PCM_16")


def make_corpora(root, rng):
    for category, files, seconds in (("noise", 5, 10), ("music", 5, 30), ("speech", 10, 15)):
        for number in range(files):
            write(root / "musan" / category / "part" / f"{category}-{number:04d}.wav",
                  rng.uniform(-0.3, 0.3, RATE * seconds))
    for room, seconds in (("smallroom", 0.5), ("mediumroom", 1.0)):
        for number in range(10):
            length = int(RATE * seconds)
            response = rng.normal(size=length) * np.exp(-np.arange(length) / (0.1 * RATE))
            response[30] = 3.0
            write(root / "RIRS_NOISES/simulated_rirs" / room / "Room001" / f"Room001-{number:05d}.wav",
                  0.3 * response / np.abs(response).max())
    lines = []
    for number in range(20):
        write(root / "data" / f"u{number:02d}.wav", rng.uniform(-0.3, 0.3, RATE * 8))
        lines.append(f"u{number:02d} {root / 'data'}/u{number:02d}.wav\n")
    (root / "data/wav.scp").write_text("".join(lines))


def crops_of(root, augment, frames):
    features = {"type": "fbank", "options": {"num-mel-bins": BINS}}
    config = {"model": {"name": "thin_resnet34"}, "loss": {"name": "angleproto"},
              "input": {"source": "wav", "crop_frames": frames, "features": features},
              "sampler": {"classes_per_batch": 2, "per_class": 2}, "epochs": 1, "augment": augment}
    block = validate_config(config)["augment"]
    extractor = FeatureExtractor.from_settings("fbank", overrides={"num-mel-bins": BINS})
    return WavCrops(root / "data/wav.scp", extractor, frames, augmentation=build_augmentation(block, RATE))


def ms_per_crop(sources, count, rounds=5):
    """{name: ms per crop} of each source, the fastest of ``rounds`` passes over ``count``
    crops; the passes go round the sources in turn (after one pass to warm up), so a
    machine busy for a while slows every source alike."""
    times = {name: [] for name in sources}
    for _ in range(rounds + 1):
        for name, source in sources.items():
            started = time.perf_counter()
            for seed in range(count):
                source.crop(source.utterances[seed % len(source.utterances)], np.random.default_rng(seed))
            times[name].append(1000 * (time.perf_counter() - started) / count)
    return {name: min(passes[1:]) for name, passes in times.items()}


def training_step_ms_per_crop(frames, batch=16):
    model = build_model("thin_resnet34", freq_bins=BINS, embedding_dim=256)
    loss = build_loss("angleproto")
    optimiser = torch.optim.Adam(list(model.parameters()) + list(loss.parameters()))
    crops, labels = torch.randn(batch, BINS, frames), torch.arange(batch // 2).repeat_interleave(2)

    def step():
        optimiser.zero_grad()
        loss(model(crops), labels).loss.backward()
        optimiser.step()
    step()
    started = time.perf_counter()
    for _ in range(3):
        step()
    return 1000 * (time.perf_counter() - started) / (3 * batch)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--crops", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    frames = int(round(args.seconds * 100))
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        make_corpora(root, np.random.default_rng(0))
        corpora = {"musan": str(root / "musan"), "rirs": str(root / "RIRS_NOISES")}
        always = {"probability": 1.0}
        cases = [("none (peer)", {}), ("reverb", {"reverb": always}), ("noise", {"noise": always}),
                 ("music", {"music": {**always, "vocals": True}}), ("babble (3-7)", {"babble": always}),
                 ("speed 0.9/1.1", {"speed": always}), ("specaugment", {"specaugment": always}),
                 ("all of them", {"reverb": always, "noise": always, "music": {**always, "vocals": True},
                                  "babble": always, "speed": always, "specaugment": always})]
        print(f"crops of {args.seconds:g} s ({frames} frames of {BINS}-bin fbank), {args.crops} per pass")
        sources = {name: crops_of(root, {**corpora, **augment} if augment else {}, frames)
                   for name, augment in cases}
        timed = ms_per_crop(sources, args.crops)
        for name, ms in timed.items():
            print(f"  {name:15s} {ms:7.2f} ms/crop   x{ms / timed['none (peer)']:5.2f} of the plain crop")
    print(f"  Thin ResNet34 training step: {training_step_ms_per_crop(frames):.2f} ms per crop "
          f"(batch 16, CPU, {torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
