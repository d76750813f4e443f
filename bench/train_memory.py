#!/usr/bin/env python3
"""Peak RSS and time of ONE training step of the voxceleb recipe's paper-width networks, with
and without ``micro_batch`` (the step's forward and backward in chunks of K crops).

  python3 bench/train_memory.py            # vgg_amsoftmax, siamese_double, resnet_pretrain
  python3 bench/train_memory.py --config resnet_multi --config siamese_triple   # gradient cache
  python3 bench/train_memory.py --config resnet_pretrain --micro-batch 16

Each config is egs/voxceleb/conf/NAME.yaml as the recipe trains it, but for one batch
(``epochs: 1``, ``batches_per_epoch: 1``), no validation and ``workers: 0`` (the step itself
is measured, not the loader's processes), on a tiny data dir of random features of the
config's size (80 log-mel bins or 161 spectrogram bins, utterances a little longer than the
crop; mined pair and triplet lists for the Siamese networks). Every run is a fresh ``python3`` under
``/usr/bin/time -v``, whose "Maximum resident set size" is the peak RSS; the step time is
the training loop's own (data loading of the one batch included, model building not). The
run without micro_batch is the peer: the figures end with the ratios chunked / whole.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from metricvox.io import MatrixWriter  # noqa: E402
from metricvox.nnet.training.config import validate_config  # noqa: E402
from metricvox.nnet.training.data import crop_frames, feature_settings  # noqa: E402

CONF = REPO / "egs" / "voxceleb" / "conf"
# The largest chunk that kept each step under ~3.5 GiB on the measuring machine (BENCH notes).
MICRO_BATCH = {"vgg_amsoftmax": 8, "siamese_double": 8, "resnet_pretrain": 16,
               "siamese_triple": 8, "resnet_multi": 16}
DEFAULT = ("vgg_amsoftmax", "siamese_double", "resnet_pretrain")

CHILD = """
import json, sys
from metricvox.progress import set_quiet
from metricvox.nnet.training.loop import train
set_quiet(True)
print(json.dumps(train(sys.argv[1], sys.argv[2], sys.argv[3], device="cpu", seed=1)))
"""


def one_batch_config(name, micro_batch, lists):
    config = yaml.safe_load((CONF / f"{name}.yaml").read_text())
    config.update(epochs=1, batches_per_epoch=1, workers=0)
    config.pop("validation", None)
    if micro_batch:
        config["micro_batch"] = micro_batch
    if config["sampler"].get("name") in ("pairs", "triplets"):
        config["sampler"]["list"] = str(lists / config["sampler"]["name"])
    return config


def batch_items(config):
    sampler = config["sampler"]
    if sampler.get("name") in ("pairs", "triplets"):
        return sampler["batch_size"]
    return sampler["classes_per_batch"] * sampler["per_class"]


def make_data(directory, config):
    """Random features: one speaker per item of the batch, two utterances each; mined
    pair and triplet lists over them."""
    bins = config["model"]["freq_bins"]
    config = validate_config(config)
    frames = crop_frames(config, feature_settings(config)) + 20
    speakers = batch_items(config) + 2
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True)
    keys = [f"spk{s:04d}-{u}" for s in range(speakers) for u in range(2)]
    with MatrixWriter(f"ark,scp:{directory}/feats.ark,{directory}/feats.scp") as writer:
        for key in keys:
            writer.write(key, rng.normal(size=(frames, bins)).astype(np.float32))
    (directory / "utt2spk").write_text("".join(f"{k} {k.split('-')[0]}\n" for k in keys))
    (directory / "pairs").write_text("".join(
        f"spk{s:04d}-0 spk{s:04d}-1 target\nspk{s:04d}-0 spk{s + 1:04d}-0 nontarget\n"
        for s in range(speakers - 1)))
    (directory / "triplets").write_text("".join(
        f"spk{s:04d}-0 spk{s:04d}-1 spk{s + 1:04d}-0\n" for s in range(speakers - 1)))


def measure(config, data, work, tag):
    path = work / f"{tag}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-c", CHILD, str(path),
                           str(data), str(work / tag)], capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"training {tag} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return {"rss_mib": rss_kb / 1024, "step_s": batch_items(config) / figures["segments_per_second"],
            "loss": figures["loss"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", choices=sorted(MICRO_BATCH),
                        help=f"a recipe config to measure (repeatable; default: {', '.join(DEFAULT)})")
    parser.add_argument("--micro-batch", type=int,
                        help="crops per chunk (default: the value per config above)")
    args = parser.parse_args()
    import torch
    print(f"one training step at paper width, CPU, {torch.get_num_threads()} threads")
    print(f"{'config':16} {'micro_batch':>11} {'peak RSS (MiB)':>15} {'step (s)':>9} "
          f"{'loss':>9}")
    for name in args.config or DEFAULT:
        micro_batch = args.micro_batch or MICRO_BATCH[name]
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            make_data(work / "data", one_batch_config(name, 0, work / "data"))
            rows = {}
            for tag, chunk in (("whole", 0), ("chunked", micro_batch)):
                rows[tag] = measure(one_batch_config(name, chunk, work / "data"), work / "data",
                                    work, tag)
                row = rows[tag]
                print(f"{name:16} {chunk or 'off':>11} {row['rss_mib']:15.0f} "
                      f"{row['step_s']:9.2f} {row['loss']:9.4f}", flush=True)
        whole, chunked = rows["whole"], rows["chunked"]
        print(f"{name:16} ratio chunked/whole: peak RSS {chunked['rss_mib'] / whole['rss_mib']:.2f}"
              f", step time {chunked['step_s'] / whole['step_s']:.2f}", flush=True)


if __name__ == "__main__":
    main()
