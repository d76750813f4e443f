"""One UBM EM iteration: metricvox against scikit-learn's GaussianMixture, same data, same init.

    python bench/ubm_em.py                 # 6 minutes of frames (36000), under ~3 min on 2 cores
    python bench/ubm_em.py --full-size     # 1 hour of frames (360000); scikit-learn needs ~15 GB
    python bench/ubm_em.py --full-size --no-peer   # metricvox alone

Frames are random data shaped like 60-dim speech features (20 cepstra with
deltas and double deltas: a mixture of 64 clusters, scales falling with the
coefficient index). Both sides start from the same parameters (means at
random frames, the global variance, equal weights) and run one EM iteration:
  (a) metricvox: the torch E-step (float64, CPU) over frame blocks, then the M-step;
  (b) scikit-learn: GaussianMixture's own E-step and M-step (``_e_step``,
      ``_m_step``: exactly one iteration; ``fit`` would add a k-means
      initialisation and a final E-step, which are not EM work).
Measured for --components diagonal Gaussians and --full-components full ones.
Both sides use --threads threads (torch, and BLAS through the environment).
Each measurement runs in a fresh process; peak memory is the growth of its
resident set during the iteration, up to its peak (Linux's VmHWM, reset at the
start; ru_maxrss elsewhere). Prints seconds, peak
MB, the ratio scikit-learn / metricvox (above 1.0: metricvox is faster or
smaller) and the largest difference of the updated means (relative to the
largest mean).
"""
import argparse
import multiprocessing
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from peak_memory import peak_kb, start_peak_measurement

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FRAMES_PER_HOUR = 360000


def feature_like_frames(num_frames, dim, seed=0):
    """(T, dim) frames from a 64-cluster mixture, written in place to keep the memory peak flat."""
    rng = np.random.default_rng(seed)
    scale = np.tile(1.0 / (1.0 + np.arange(dim // 3)), 3)[:dim] * 10.0
    centres = rng.normal(size=(64, dim)) * scale
    spread = rng.uniform(0.3, 0.8, (64, dim)) * scale
    frames = np.empty((num_frames, dim))
    for start in range(0, num_frames, 10000):
        stop = min(start + 10000, num_frames)
        labels = rng.integers(0, 64, stop - start)
        frames[start:stop] = centres[labels] + rng.normal(size=(stop - start, dim)) * spread[labels]
    return frames


def _initial_model(frames, components, kind):
    from metricvox.gmm.init import init_from_frames
    model = init_from_frames(frames, components, np.random.default_rng(1))
    return model if kind == "diag" else model.to_full()


def _metricvox_iteration(frames, model, kind):
    from metricvox.gmm.estep import accumulate
    from metricvox.gmm.mstep import maximize
    return maximize(accumulate(model, frames, kind), variance_floor=1e-9, min_count=0,
                    min_weight=0).means


def _sklearn_iteration(frames, model, kind):
    from sklearn.mixture import GaussianMixture
    precisions = 1.0 / model.covars if kind == "diag" else np.linalg.inv(model.covars)
    mixture = GaussianMixture(model.num_components, covariance_type=kind, reg_covar=1e-12,
                              weights_init=model.weights, means_init=model.means,
                              precisions_init=precisions)
    # The state fit() reaches after its initialisation with these *_init values.
    mixture.weights_, mixture.means_, mixture.covariances_ = (model.weights, model.means,
                                                              model.covars)
    mixture.precisions_cholesky_ = (np.sqrt(precisions) if kind == "diag"
                                    else np.linalg.cholesky(precisions))
    _, log_resp = mixture._e_step(frames)
    mixture._m_step(frames, log_resp)
    return mixture.means_


def _measure(side, kind, num_frames, dim, components, threads, connection):
    import torch
    torch.set_num_threads(threads)
    # Libraries are imported before the measurement, so their own footprint is not counted.
    import sklearn.mixture  # noqa: F401
    import metricvox.gmm.estep  # noqa: F401
    import metricvox.gmm.mstep  # noqa: F401
    frames = feature_like_frames(num_frames, dim)
    model = _initial_model(frames, components, kind)
    before = start_peak_measurement()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        means = (_metricvox_iteration if side == "metricvox" else _sklearn_iteration)(
            frames, model, kind)
    seconds = time.perf_counter() - start
    peak_mb = (peak_kb() - before) / 1024.0
    connection.send((seconds, peak_mb, means))
    connection.close()


def measure(side, kind, num_frames, dim, components, threads):
    # BLAS thread pools are sized from the environment when the child imports numpy.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(threads)
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_measure,
                              args=(side, kind, num_frames, dim, components, threads, sender))
    process.start()
    result = receiver.recv()
    process.join()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=FRAMES_PER_HOUR // 10,
                        help="number of frames (default: 6 minutes at 100 frames/s)")
    parser.add_argument("--full-size", action="store_true",
                        help="1 hour of frames (360000), as the task specifies")
    parser.add_argument("--dim", type=int, default=60)
    parser.add_argument("--components", type=int, default=1024,
                        help="diagonal components")
    parser.add_argument("--full-components", type=int, default=64,
                        help="full-covariance components (0: skip)")
    parser.add_argument("--no-peer", action="store_true",
                        help="measure metricvox only (scikit-learn holds several "
                             "frames x components arrays: ~15 GB at full size)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads of torch and of BLAS on both sides (default 1: on a "
                             "shared, oversubscribed machine more threads only add noise)")
    args = parser.parse_args()
    num_frames = FRAMES_PER_HOUR if args.full_size else args.frames
    print(f"{num_frames} frames x {args.dim} dims ({num_frames / FRAMES_PER_HOUR * 60:.0f} min "
          f"at 100 frames/s), one EM iteration, float64 on CPU, {args.threads} thread(s)")
    print(f"{'model':<22}{'side':<14}{'seconds':>9}{'peak MB':>10}")
    cases = [("diag", args.components)]
    if args.full_components:
        cases.append(("full", args.full_components))
    for kind, components in cases:
        sides = ("metricvox",) if args.no_peer else ("metricvox", "scikit-learn")
        results = {side: measure(side, kind, num_frames, args.dim, components, args.threads)
                   for side in sides}
        label = f"{components} {kind}"
        for side, (seconds, peak, _) in results.items():
            print(f"{label:<22}{side:<14}{seconds:>9.2f}{peak:>10.0f}")
        if args.no_peer:
            continue
        ours, theirs = results["metricvox"], results["scikit-learn"]
        difference = np.max(np.abs(ours[2] - theirs[2])) / np.max(np.abs(theirs[2]))
        print(f"{label:<22}{'ratio sk/mv':<14}{theirs[0] / ours[0]:>9.2f}"
              f"{theirs[1] / max(ours[1], 1.0):>10.1f}   "
              f"means differ by {difference:.1e} (of max |mean|)")


if __name__ == "__main__":
    main()
