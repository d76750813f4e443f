"""Extraction speed of an exported model: onnxruntime against PyTorch, same model, same audio.

    python bench/export_speed.py [--model CKPT] [--seconds 60] [--repeats 3]

Without --model, an untrained Thin ResNet34 of the singer recipe (64 log-mel bins,
512-d embedding, its full size) is saved as a checkpoint. The checkpoint is exported
to ONNX and TorchScript, and --seconds of speech-like 16 kHz audio (utterances of
2 to 8 s) is embedded in utterance mode, one utterance at a time, by:
  (a) PyTorch eager, metricvox-extract's path: numpy/scipy features, then the model;
  (b) PyTorch eager, the export's module (tensor-op front end + model) before tracing;
  (c) the TorchScript file, through torch.jit.load;
  (d) the ONNX file, through onnxruntime (CPU).
Each at 1 and 2 threads (torch.set_num_threads; onnxruntime's intra-op threads).
Each figure is the fastest of --repeats passes, after one warm-up pass. Prints
x real time (audio seconds / wall seconds) and the ratios onnxruntime / each
PyTorch way (above 1.0: onnxruntime is faster), and each way's 2-thread / 1-thread
speed (below 1.0: a second thread slows it down, as threads competing for the cores do).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from export_checkpoints import save_untrained_checkpoint  # noqa: E402
from metricvox.export.exporting import export_checkpoint, extractor_from_checkpoint  # noqa: E402
from metricvox.export.loader import load_exported  # noqa: E402
from metricvox.nnet.extraction import Embedder  # noqa: E402
from metricvox.nnet.training.data import extractor_from_settings  # noqa: E402

RATE = 16000


def speech_like(seconds, rng):
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = rng.uniform(90, 260) * (1 + 0.03 * np.sin(2 * np.pi * 5 * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    return (0.2 * voiced * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
            + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def utterances(total_seconds, seed=0):
    rng = np.random.default_rng(seed)
    waves, left = [], total_seconds
    while left > 0:
        seconds = min(left, rng.uniform(2.0, 8.0))
        waves.append(speech_like(seconds, rng))
        left -= seconds
    return waves


def best_seconds(embed, waves, repeats):
    for wave in waves:   # warm-up pass: first-call allocations, TorchScript's optimisation
        embed(wave)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for wave in waves:
            embed(wave)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="checkpoint (default: an untrained singer Thin ResNet34)")
    parser.add_argument("--seconds", type=float, default=60.0, help="audio to embed per pass")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = args.model or save_untrained_checkpoint(
            Path(tmp) / "model.pt", "thin_resnet34", {"freq_bins": 64, "embedding_dim": 512},
            {"preset": "singer-logmel64"}, crop_frames=350)
        paths = {fmt: Path(tmp) / f"model.{fmt}" for fmt in ("onnx", "torchscript")}
        for fmt, path in paths.items():
            export_checkpoint(checkpoint, fmt, path)
        embedder = Embedder.from_checkpoint(checkpoint, torch.device("cpu"))
        features = extractor_from_settings(embedder.features, embedder.seed)
        module, _ = extractor_from_checkpoint(checkpoint)
        waves = utterances(args.seconds)
        audio = sum(len(w) for w in waves) / RATE
        print(f"model {checkpoint if args.model else 'thin_resnet34 (singer, untrained)'}, "
              f"{len(waves)} utterances, {audio:.1f} s of audio, best of {args.repeats}")

        @torch.inference_mode()
        def eager_extract(wave):
            return embedder.utterance(features("utt", wave))

        @torch.inference_mode()
        def eager_module(wave):
            return module(torch.from_numpy(wave)).numpy()

        rows = []
        for threads in (1, 2):
            torch.set_num_threads(threads)
            script = load_exported(paths["torchscript"])
            session = load_exported(paths["onnx"], threads=threads)
            speeds = {}
            for name, embed in (("eager (metricvox-extract)", eager_extract),
                                ("eager (export module)", eager_module),
                                ("TorchScript", script.embed), ("onnxruntime", session.embed)):
                speeds[name] = audio / best_seconds(embed, waves, args.repeats)
            rows.append((threads, speeds))

    names = list(rows[0][1])
    print(f"{'threads':>7}  " + "  ".join(f"{n:>25}" for n in names) + "   (x real time)")
    for threads, speeds in rows:
        print(f"{threads:>7}  " + "  ".join(f"{speeds[n]:>25.1f}" for n in names))
    for threads, speeds in rows:
        ort = speeds["onnxruntime"]
        ratios = ", ".join(f"/ {n}: {ort / speeds[n]:.2f}" for n in names[:-1])
        print(f"{threads} thread{'s' if threads > 1 else ''}: onnxruntime {ratios}")
    (_, one), (_, two) = rows
    print("2 threads / 1 thread: " + ", ".join(f"{n}: {two[n] / one[n]:.2f}" for n in names))


if __name__ == "__main__":
    main()
