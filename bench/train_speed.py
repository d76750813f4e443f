"""Thin ResNet34 on CPU: metricvox's training and extraction against plain PyTorch, same run.

    python bench/train_speed.py [--speakers 40] [--utterances 10] [--epochs 2]

Writes random 64-bin features (4 s per utterance, a per-speaker offset) as a
feats.ark/scp with utt2spk in a temporary directory, then measures:
  training   metricvox-train's loop (``train()`` from a YAML config: PK batches of
             20 speakers x 2 crops of 200 frames read from the scp by a loader
             worker, angleproto, Adam), its last epoch's segments/s and the
             fraction of step time spent waiting for data; against the same model
             and loss stepped by a plain loop whose batches are cut from one
             in-memory tensor, for as many steps;
  extraction metricvox-extract's library path (checkpoint -> embeddings of every
             utterance of the scp into an ark) against the plain model in eval
             mode over the in-memory utterances, in x real time.
Prints the figures and the ratios plain/metricvox of time (the toolkit's
overhead; goal <= 1.1).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import kaldiio
import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from metricvox.io import MatrixWriter  # noqa: E402
from metricvox.nnet.extraction import Embedder, extract_embeddings  # noqa: E402
from metricvox.nnet.losses import build_loss  # noqa: E402
from metricvox.nnet.models import build_model  # noqa: E402
from metricvox.nnet.training.loop import train  # noqa: E402
from metricvox.progress import set_quiet  # noqa: E402

BINS, FRAMES, CROP, N, M = 64, 400, 200, 20, 2
CONFIG = f"""
model: {{name: thin_resnet34, freq_bins: {BINS}, embedding_dim: 256}}
loss: {{name: angleproto}}
input: {{source: feats, features: {{preset: singer-logmel64}}, crop_frames: {CROP}}}
sampler: {{classes_per_batch: {N}, per_class: {M}}}
optimiser: {{name: adam, lr: 0.001}}
epochs: EPOCHS
workers: 1
"""


def make_data(directory, speakers, utterances):
    rng = np.random.default_rng(0)
    feats = {f"spk{s:03d}-{u:03d}": (rng.normal(0, 1, (FRAMES, BINS)) + rng.normal(0, 1, BINS) * 0.5
                                      ).astype(np.float32)
             for s in range(speakers) for u in range(utterances)}
    kaldiio.save_ark(str(directory / "feats.ark"), feats, scp=str(directory / "feats.scp"))
    (directory / "utt2spk").write_text("".join(f"{k} {k.split('-')[0]}\n" for k in sorted(feats)))
    return feats


def plain_training(feats, steps, seed=1):
    """The same model and loss, batches cut straight from an in-memory tensor."""
    torch.manual_seed(seed)
    keys = sorted(feats)
    speakers = sorted({k.split("-")[0] for k in keys})
    data = torch.from_numpy(np.stack([feats[k] for k in keys])).transpose(1, 2)  # utt x bins x frames
    per_speaker = len(keys) // len(speakers)
    model = build_model("thin_resnet34", freq_bins=BINS, embedding_dim=256)
    loss = build_loss("angleproto")
    optimiser = torch.optim.Adam(list(model.parameters()) + list(loss.parameters()), lr=0.001)
    generator = torch.Generator().manual_seed(seed)

    def step():
        chosen = torch.randperm(len(speakers), generator=generator)[:N]
        utts = chosen.repeat_interleave(M) * per_speaker + torch.randint(per_speaker, (N * M,),
                                                                         generator=generator)
        starts = torch.randint(FRAMES - CROP + 1, (N * M,), generator=generator)
        batch = torch.stack([data[u, :, s:s + CROP] for u, s in zip(utts, starts)])
        labels = chosen.repeat_interleave(M)
        output = loss(model(batch), labels)
        optimiser.zero_grad(set_to_none=True)
        output.loss.backward()
        optimiser.step()

    step()  # warm-up, as the toolkit's first epoch
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * N * M / (time.perf_counter() - started), model


def plain_extraction(model, feats):
    model.eval()
    with torch.inference_mode():
        model(torch.from_numpy(next(iter(feats.values())).T.copy())[None])  # warm-up
        started = time.perf_counter()
        for matrix in feats.values():
            model(torch.from_numpy(matrix.T.copy())[None])
        return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speakers", type=int, default=40)
    parser.add_argument("--utterances", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=2, help="toolkit epochs; the last is measured")
    args = parser.parse_args()
    set_quiet(True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        data.mkdir()
        feats = make_data(data, args.speakers, args.utterances)
        config = tmp / "bench.yaml"
        config.write_text(CONFIG.replace("EPOCHS", str(args.epochs)))
        figures = train(str(config), str(data), str(tmp / "exp"), seed=1, device="cpu")
        ours = figures["segments_per_second"]
        steps = (args.speakers * args.utterances) // (N * M)
        theirs, plain_model = plain_training(feats, steps)

        audio_seconds = len(feats) * FRAMES / 100.0
        embedder = Embedder.from_checkpoint(tmp / "exp" / "last.pt", torch.device("cpu"))
        embedder.utterance(next(iter(feats.values())))  # warm-up, as for the plain model
        started = time.perf_counter()
        with MatrixWriter(f"ark:{tmp / 'emb.ark'}") as writer:
            extract_embeddings(embedder, f"scp:{data / 'feats.scp'}", writer)
        ours_extract = time.perf_counter() - started
        theirs_extract = plain_extraction(plain_model, feats)

    print(f"Thin ResNet34, {BINS} bins, batches of {N} x {M} crops of {CROP} frames, "
          f"{torch.get_num_threads()} threads")
    print(f"training   metricvox:     {ours:7.1f} segments/s  (data wait "
          f"{100 * figures['data_wait']:.1f}% of step time)")
    print(f"training   plain PyTorch: {theirs:7.1f} segments/s  (in-memory batches)")
    print(f"training   time ratio metricvox/plain: {theirs / ours:.2f}")
    print(f"extraction metricvox:     {audio_seconds / ours_extract:7.1f} x real time")
    print(f"extraction plain PyTorch: {audio_seconds / theirs_extract:7.1f} x real time")
    print(f"extraction time ratio metricvox/plain: {ours_extract / theirs_extract:.2f}")


if __name__ == "__main__":
    main()
