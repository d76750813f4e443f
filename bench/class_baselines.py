"""The acoustic-source baselines' cost per fold: class GMMs against scikit-learn, SVM, scoring.

    python bench/class_baselines.py                      # 8 classes x 40 files x 100 frames
    python bench/class_baselines.py --files-per-class 540 --frames-per-file 340   # UrbanSound size

Frames are random 275-dim vectors (the urbansound-mfcc-stats dimension), each
class a mixture of 8 clusters. Measured in this process:
  (a) metricvox-train-class-gmms' library path (train_class_gmms: per class,
      the UBM trainer's initialisation and splitting, then EM; --nj 1) against
      scikit-learn's GaussianMixture (diagonal, the same number of EM
      iterations, random-frame initialisation, tol 0) on the same frames;
      seconds, ratio scikit-learn / metricvox, and the average training
      log-likelihood per frame of both;
  (b) scoring every file against every class GMM (average frame log-likelihood);
  (c) the linear SVM (scaler + LinearSVC) on --max-frames-per-utt frames of
      each file, and its scoring.
Each timing is the fastest of --repeats runs (the 2 shared cores make single
runs vary a lot).
"""
import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import kaldiio
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from metricvox.classify.class_gmm import gmm_class_scores  # noqa: E402
from metricvox.classify.class_gmm_training import train_class_gmms  # noqa: E402
from metricvox.classify.class_svm import svm_class_scores  # noqa: E402
from metricvox.classify.class_svm_training import train_class_svm, training_frames  # noqa: E402
from metricvox.data.utt_labels import UttLabels  # noqa: E402
from metricvox.gmm.frames import FeatureFrames  # noqa: E402
from metricvox.gmm.stats_jobs import StatsJobs  # noqa: E402
from metricvox.gmm.ubm_training import UbmOptions  # noqa: E402

DIM = 275


def synthetic_table(classes, files, frames, seed=0):
    rng = np.random.default_rng(seed)
    table, labels = {}, {}
    for c in range(classes):
        centres = rng.normal(size=(8, DIM)) * 2.0
        for f in range(files):
            picks = rng.integers(0, 8, frames)
            utt = f"c{c}-f{f:04d}"
            table[utt] = (centres[picks] + rng.normal(size=(frames, DIM))).astype(np.float32)
            labels[utt] = f"class{c}"
    return table, labels


def fastest(function, repeats):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=8)
    parser.add_argument("--files-per-class", type=int, default=40)
    parser.add_argument("--frames-per-file", type=int, default=100)
    parser.add_argument("--components", type=int, default=32)
    parser.add_argument("--max-frames-per-utt", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    table, labels = synthetic_table(args.classes, args.files_per_class, args.frames_per_file)
    utt_labels = UttLabels(labels, {u: i + 1 for i, u in enumerate(sorted(labels))}, "labels")
    total = sum(m.shape[0] for m in table.values())
    print(f"{args.classes} classes x {args.files_per_class} files x {args.frames_per_file} frames "
          f"= {total} frames of dimension {DIM}; {args.components} components per class")
    with tempfile.TemporaryDirectory() as directory:
        ark = f"ark:{directory}/feats.ark"
        with kaldiio.WriteHelper(ark) as writer:
            for utt in sorted(table):
                writer(utt, table[utt])
        options = UbmOptions(num_components=args.components, num_iters_init=20,
                             num_frames_init=200000, num_iters=4)
        iterations = options.num_iters_init + options.num_iters

        def ours():
            with StatsJobs(1) as jobs:
                return train_class_gmms(FeatureFrames(ark), utt_labels, options, jobs)

        ours_seconds, models = fastest(ours, args.repeats)

        def peer():
            from sklearn.mixture import GaussianMixture
            fitted = {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # tol 0 never 'converges'
                for name in utt_labels.classes:
                    frames = np.concatenate([table[u] for u in sorted(table)
                                             if labels[u] == name]).astype(np.float64)
                    fitted[name] = GaussianMixture(
                        args.components, covariance_type="diag", max_iter=iterations, tol=0,
                        init_params="random_from_data", random_state=0).fit(frames)
            return fitted

        peer_seconds, peers = fastest(peer, args.repeats)
        ours_ll, peer_ll = [], []
        for name in utt_labels.classes:
            frames = np.concatenate([table[u] for u in sorted(table)
                                     if labels[u] == name]).astype(np.float64)
            ours_ll.append(models[name].log_likelihood(frames).mean())
            peer_ll.append(peers[name].score(frames))
        print(f"class GMM training ({iterations} EM iterations each): metricvox "
              f"{ours_seconds:.2f} s, scikit-learn {peer_seconds:.2f} s, ratio "
              f"{peer_seconds / ours_seconds:.2f}; average log-likelihood per frame "
              f"{np.mean(ours_ll):.3f} (metricvox) vs {np.mean(peer_ll):.3f} (scikit-learn)")

        utterances = [(u, table[u].astype(np.float64)) for u in sorted(table)]
        seconds, _ = fastest(lambda: gmm_class_scores(models, utterances), args.repeats)
        print(f"GMM scoring: {seconds:.2f} s for {len(utterances)} files "
              f"({1000 * seconds / len(utterances):.2f} ms per file)")

        def svm():
            features, targets = training_frames(FeatureFrames(ark), utt_labels,
                                                args.max_frames_per_utt, seed=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return features.shape[0], train_class_svm(features, targets)

        seconds, (num_frames, pipeline) = fastest(svm, args.repeats)
        print(f"SVM training: {seconds:.2f} s on {num_frames} frames "
              f"({args.max_frames_per_utt} per file)")
        seconds, _ = fastest(lambda: svm_class_scores(pipeline, utterances), args.repeats)
        print(f"SVM scoring: {seconds:.2f} s for {len(utterances)} files")


if __name__ == "__main__":
    main()
