"""i-vector speed: statistics, EM iterations and extraction, against naive per-utterance peers.

    python3 bench/ivector_speed.py [--configs 256x60x100,1024x60x400] [--utterances 1000,300]
                                   [--frames 300] [--peer-utterances 200,20] [--repeats 2]

For each C x D x R configuration: a random full-covariance UBM, utterances of --frames
frames drawn from it, and an extractor with a random T. Times, same run, same data:

  statistics   UbmAligner.batch_stats (gselect 20 on the diagonal UBM, full posteriors on the
               selection, min-post 0.025, N, F and the training set's S), per 1000 utterances;
               peer: Gmm.posteriors of the full UBM over all C components (no selection) on
               --peer-utterances utterances, posteriors only.
  EM iteration E-step (posteriors with covariances, accumulation of Y, R and the prior
               statistics) per 1000 utterances, and the M-step (T, Sigma, minimum divergence,
               then the derived T'Sigma^-1 T for the next iteration), seconds.
  extraction   i-vector posterior means per 1000 utterances from the statistics (batched,
               packed T_c'Sigma_c^-1 T_c); peer: per utterance, in numpy,
               L = I + sum_c N_c U_c with the unpacked (C, R, R) U_c, b likewise, solve
               (numpy.linalg.solve), on --peer-utterances utterances. The ratio is
               peer seconds / metricvox seconds (above 1: metricvox is faster), and the largest
               difference between the two sets of i-vectors is printed.

Each stage runs --repeats times (default 2) and the fastest run counts; the machine's
load average is printed first: the figures are wall-clock seconds.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from metricvox.gmm.model import Gmm  # noqa: E402
from metricvox.ivector.extractor import IvectorExtractor  # noqa: E402
from metricvox.ivector.stats import BATCH_FRAMES, BATCH_UTTERANCES, UbmAligner  # noqa: E402
from metricvox.ivector.training import expectation, maximisation  # noqa: E402


def random_ubm(rng, components, dim):
    a = rng.normal(size=(components, dim, dim)) / np.sqrt(dim)
    covars = a @ a.transpose(0, 2, 1) + 0.2 * np.eye(dim)
    return Gmm(rng.dirichlet(np.full(components, 5.0)),
               rng.normal(scale=2.0, size=(components, dim)), covars)


def utterances(rng, ubm, count, frames):
    chol = np.linalg.cholesky(ubm.covars)
    for _ in range(count):
        comp = rng.choice(ubm.num_components, size=frames, p=ubm.weights)
        z = rng.normal(size=(frames, ubm.dim, 1))
        yield (ubm.means[comp] + (chol[comp] @ z)[:, :, 0]).astype(np.float32)


def batches_of(items, frames):
    size = max(1, min(BATCH_UTTERANCES, BATCH_FRAMES // frames))
    for start in range(0, len(items), size):
        yield items[start:start + size]


def fastest(function, repeats):
    """(result, seconds) of the fastest of ``repeats`` calls: the machine may be shared."""
    best = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    return result, best


def naive_ivectors(extractor, stats_batches, count):
    """Per utterance, numpy: L = I + sum_c N_c U_c, b = sum_c T_c' Sigma_c^-1 (F_c - N_c m_c)."""
    precision = np.linalg.inv(extractor.covars)
    precision_projection = precision @ extractor.projection                       # (C, D, R)
    quadratic = extractor.projection.transpose(0, 2, 1) @ precision_projection    # (C, R, R)
    stacked = precision_projection.reshape(-1, extractor.ivector_dim)
    means = extractor.means
    eye = np.eye(extractor.ivector_dim)
    ivectors = []
    for batch in stats_batches:
        for n, f in zip(batch.zeroth, batch.first):
            if len(ivectors) == count:
                return np.array(ivectors)
            big_l = eye + np.tensordot(n, quadratic, axes=1)
            b = stacked.T @ (f - n[:, None] * means).ravel()
            ivectors.append(np.linalg.solve(big_l, b))
    return np.array(ivectors)


def bench(config, num_utts, num_frames, num_peer, repeats, seed=0):
    components, dim, rank = config
    rng = np.random.default_rng(seed)
    ubm = random_ubm(rng, components, dim)
    features = list(utterances(rng, ubm, num_utts, num_frames))
    print(f"\n== C={components} D={dim} R={rank}: {num_utts} utterances x {num_frames} frames")

    aligner = UbmAligner(ubm, 20, 0.025)

    def statistics():
        stats, totals = [], None
        for group in batches_of(features, num_frames):
            keys = [str(i) for i in range(len(group))]
            batch, batch_totals = aligner.batch_stats(keys, group, True)
            stats.append(batch)
            totals = batch_totals if totals is None else totals + batch_totals
        return stats, totals

    (stats, totals), stats_seconds = fastest(statistics, repeats)
    _, peer_stats_seconds = fastest(lambda: [ubm.posteriors(x) for x in features[:num_peer]],
                                    repeats)
    per_k = 1000.0 / num_utts
    print(f"statistics: {stats_seconds * per_k:.1f} s per 1000 utterances "
          f"(peer, full posteriors over all {components}: "
          f"{peer_stats_seconds * 1000 / num_peer:.1f} s per 1000, posteriors only; "
          f"ratio {peer_stats_seconds / num_peer / (stats_seconds / num_utts):.2f})")

    projection = rng.normal(size=(components, dim, rank))
    projection[:, :, 0] = ubm.means / 100.0

    def fresh_extractor():
        extractor = IvectorExtractor(ubm, projection, ubm.covars, 100.0)
        extractor.derived()
        return extractor

    extractor, derive_seconds = fastest(fresh_extractor, repeats)
    accumulator, e_seconds = fastest(lambda: expectation(extractor, stats), repeats)
    # min_count 1: every component re-estimated, as with a full-size training set.
    _, m_seconds = fastest(lambda: maximisation(accumulator, totals, min_count=1.0).derived(),
                           repeats)
    print(f"EM iteration: E-step {e_seconds * per_k:.1f} s per 1000 utterances, M-step "
          f"{m_seconds:.1f} s (with the next T'Sigma^-1 T, alone {derive_seconds:.1f} s); "
          f"{e_seconds * per_k + m_seconds:.1f} s per iteration over 1000 utterances")

    ivectors, extract_seconds = fastest(
        lambda: np.concatenate([extractor.extract(b) for b in stats]), repeats)
    peer, peer_seconds = fastest(lambda: naive_ivectors(extractor, stats, num_peer), repeats)
    ours_per_k = extract_seconds * per_k
    peer_per_k = peer_seconds * 1000.0 / len(peer)
    print(f"extraction from statistics: {ours_per_k:.2f} s per 1000 i-vectors; naive numpy "
          f"per utterance {peer_per_k:.2f} s per 1000 (ratio {peer_per_k / ours_per_k:.1f}); "
          f"max |difference| {np.abs(peer - ivectors[:len(peer)]).max():.2e}")
    print(f"extraction from features (statistics without S + posterior): about "
          f"{stats_seconds * per_k + ours_per_k:.1f} s per 1000 i-vectors")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="256x60x100,1024x60x400")
    parser.add_argument("--utterances", default="1000,300")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--peer-utterances", default="200,20")
    parser.add_argument("--repeats", type=int, default=2,
                        help="Each stage runs this many times; the fastest run counts.")
    args = parser.parse_args()
    configs = [tuple(int(v) for v in c.split("x")) for c in args.configs.split(",")]
    counts = [int(v) for v in args.utterances.split(",")]
    peers = [int(v) for v in args.peer_utterances.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; torch threads "
          f"{__import__('torch').get_num_threads()}")
    for config, count, peer in zip(configs, counts, peers):
        bench(config, count, args.frames, min(peer, count), args.repeats)


if __name__ == "__main__":
    main()
