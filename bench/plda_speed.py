"""PLDA back-end speed at VoxCeleb1-O scale: metricvox against plain vectorised numpy, same run.

    python bench/plda_speed.py [--dim 256] [--lda-dim 200] [--speakers 1000] [--repeats 3]

Synthetic embeddings: --speakers training speakers x 10 utterances, and a test
set the size of VoxCeleb1-O (4,874 utterances, 37,720 trials). Times:
  (a) metricvox-train-plda's chain (mean, LDA, length norm, 10 EM iterations);
  (b) PLDA trial scoring through metricvox's score_trials (what metricvox-score
      runs) against (c) the same LLRs computed for all trials at once in numpy
      from the model's arrays (no per-trial work: a lower bound), checking that
      both give the same scores;
  (d) cosine trial scoring through score_trials, for scale;
  (e) as-norm (top 200) of all trials against a 1,000-entry cohort with PLDA.
Each timing is the fastest of --repeats runs. Prints seconds and the ratio (b)/(c).
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from metricvox.backend.plda_backend import PldaBackend  # noqa: E402
from metricvox.backend.score_normalization import normalize_scores  # noqa: E402
from metricvox.backend.trial_scoring import score_trials  # noqa: E402
from metricvox.data.trials import Trial  # noqa: E402

NUM_TEST, NUM_TRIALS = 4874, 37720


def fastest(function, repeats):
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def numpy_llrs(backend, enroll, test):
    """Kaldi's LLR of row-paired enroll/test vectors, every step vectorised over trials."""
    def to_plda_space(x):
        x = (x - backend.mean) @ backend.lda.T
        x *= np.sqrt(x.shape[1]) / np.linalg.norm(x, axis=1, keepdims=True)
        u = (x - backend.plda.mean) @ backend.plda.transform.T
        psi = backend.plda.psi
        return u * np.sqrt(u.shape[1] / ((u ** 2) @ (1 / (psi + 1))))[:, None]
    e, t, psi = to_plda_space(enroll), to_plda_space(test), backend.plda.psi
    given, marginal, shrink = 1 + psi / (psi + 1), 1 + psi, psi / (psi + 1)
    return (0.5 * (np.log(marginal).sum() - np.log(given).sum())
            - 0.5 * (((t - shrink * e) ** 2) / given).sum(1) + 0.5 * ((t ** 2) / marginal).sum(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--lda-dim", type=int, default=200)
    parser.add_argument("--speakers", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(args.dim, args.dim)) / np.sqrt(args.dim)
    groups = [(rng.normal(size=args.dim) + 0.5 * rng.normal(size=(10, args.dim))) @ mixing
              for _ in range(args.speakers)]
    test = {f"u{i:05d}": rng.normal(size=args.dim) @ mixing for i in range(NUM_TEST)}
    keys = list(test)
    pairs = rng.choice(NUM_TEST, size=(NUM_TRIALS, 2))
    trials = [Trial(keys[a], keys[b], False, i + 1) for i, (a, b) in enumerate(pairs)
              if a != b]
    trials = list({(t.enroll, t.test): t for t in trials}.values())
    cohort = {f"c{i:04d}": rng.normal(size=args.dim) @ mixing for i in range(1000)}

    train_s, backend = fastest(lambda: PldaBackend.fit(groups, lda_dim=args.lda_dim), args.repeats)
    plda_s, scored = fastest(lambda: score_trials(trials, test, test, metric=backend), args.repeats)
    enroll = np.stack([test[t.enroll] for t in trials])
    probe = np.stack([test[t.test] for t in trials])
    numpy_s, reference = fastest(lambda: numpy_llrs(backend, enroll, probe), args.repeats)
    np.testing.assert_allclose([s for _, _, s in scored], reference, rtol=1e-6, atol=1e-6)
    cosine_s, _ = fastest(lambda: score_trials(trials, test, test, metric="cosine"), args.repeats)
    raw = {(e, t): s for e, t, s in scored}
    norm_s, _ = fastest(lambda: normalize_scores(raw, test, test, cohort, backend, top_n=200), 1)

    print(f"training: {args.speakers} speakers x 10, {args.dim} -> LDA {args.lda_dim}: "
          f"{train_s:.2f} s")
    print(f"PLDA scoring of {len(trials)} trials, {NUM_TEST} utterances:")
    print(f"  metricvox score_trials: {plda_s:.2f} s")
    print(f"  numpy, all trials at once: {numpy_s:.3f} s  (ratio metricvox/numpy: "
          f"{plda_s / numpy_s:.1f})")
    print(f"cosine scoring through score_trials: {cosine_s:.2f} s")
    print(f"as-norm (top 200, cohort 1000, PLDA) of {len(trials)} trials: {norm_s:.2f} s")


if __name__ == "__main__":
    main()
