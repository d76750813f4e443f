"""Training a universal background model, after Kaldi's sid/train_diag_ubm.sh and train_full_ubm.sh.

1. Initialisation (gmm-global-init-from-feats): up to ``num_frames_init`` frames
   drawn at random from the whole table are held in memory; a diagonal model of
   ``initial_fraction`` of the components starts on them (:mod:`metricvox.gmm.init`)
   and ``num_iters_init`` EM iterations run on them, the heaviest components being
   split after each of the first half of these iterations until the mixture has
   ``num_components``.
2. ``num_iters`` diagonal EM iterations over all the frames (every
   ``subsample``-th one, and at most ``frames_per_iter`` random ones per
   iteration), accumulated by ``nj`` jobs.
3. With ``full``: the diagonal model made full-covariance and ``num_iters_full``
   EM iterations more.

Each iteration logs the average log-likelihood per frame of the model it starts
from; :func:`train_ubm` also returns these figures.
"""

import logging
import math
from dataclasses import dataclass

import numpy as np

from metricvox.errors import InputError
from metricvox.gmm.estep import accumulate
from metricvox.gmm.init import init_from_frames, split_components
from metricvox.gmm.mstep import maximize

log = logging.getLogger(__name__)


@dataclass
class UbmOptions:
    num_components: int = 1024
    initial_fraction: float = 0.5
    num_iters_init: int = 20
    num_frames_init: int = 500000
    num_iters: int = 4
    full: bool = False
    num_iters_full: int = 4
    frames_per_iter: int = 0
    variance_floor: float = 0.01
    min_count: float = 10.0
    min_weight: float = 1e-4
    perturb: float = 0.1

    def check(self):
        if self.num_components < 1:
            raise InputError(f"--num-components must be at least 1, got {self.num_components}")
        if not 0 < self.initial_fraction <= 1:
            raise InputError(f"--initial-fraction must be in (0, 1], got {self.initial_fraction}")
        if self.num_frames_init < self.num_components:
            raise InputError(f"--num-frames-init ({self.num_frames_init}) must be at least "
                             f"--num-components ({self.num_components})")
        if min(self.num_iters_init, self.num_iters, self.num_iters_full, self.frames_per_iter) < 0:
            raise InputError("iteration and frame counts must not be negative")
        for name in ("variance_floor", "min_count", "min_weight"):   # NaN fails the comparison too
            if not 0 <= getattr(self, name) < float("inf"):
                raise InputError(f"--{name.replace('_', '-')} must be a finite number >= 0, "
                                 f"got {getattr(self, name)}")


@dataclass
class Iteration:
    phase: str                 # "init", "diag" or "full"
    number: int                # 1-based within its phase
    log_likelihood: float      # average per frame, under the model the iteration starts from
    num_frames: int
    num_components: int


def train_ubm(frames, options, jobs, seed=0, device="cpu"):
    """The UBM of a :class:`metricvox.gmm.frames.FeatureFrames` table, and its :class:`Iteration` s.

    ``jobs`` is a :class:`metricvox.gmm.stats_jobs.StatsJobs` for the passes over all the data.
    """
    options.check()
    rng = np.random.default_rng(seed)
    sample, total_frames = random_frames(frames, options.num_frames_init, rng)
    if total_frames < options.num_components:
        raise InputError(f"only {total_frames} frames (after subsampling by {frames.subsample}) "
                         f"for {options.num_components} components: a UBM needs more frames "
                         "than components", frames.rspecifier)
    log.info("%d frames in all; initialising on %d random ones", total_frames, sample.shape[0])
    history = []
    model = _initial_model(sample, options, rng, history, device)
    phases = [("diag", options.num_iters)]
    if options.full:
        phases.append(("full", options.num_iters_full))
    for phase, num_iters in phases:
        if phase == "full":
            model = model.to_full()
        for number in range(1, num_iters + 1):
            iteration_rng = np.random.default_rng([seed, len(history)])
            utterances = capped_frames(frames, total_frames, options.frames_per_iter, iteration_rng)
            stats = jobs.accumulate(model, utterances, phase)
            history.append(_report(phase, number, stats, model))
            model = _maximize(stats, options)
    return model, history


def _initial_model(sample, options, rng, history, device):
    target = options.num_components
    start = max(1, min(target, round(target * options.initial_fraction)))
    model = init_from_frames(sample, start, rng)
    growth_iters = max(1, options.num_iters_init // 2)
    step = math.ceil((target - start) / growth_iters)
    for number in range(1, options.num_iters_init + 1):
        stats = accumulate(model, sample, "diag", device)
        history.append(_report("init", number, stats, model))
        model = _maximize(stats, options)
        wanted = min(target, start + number * step)
        if model.num_components < wanted:
            log.info("splitting %d components into %d", model.num_components, wanted)
            model = split_components(model, wanted, rng, options.perturb)
    # Without initial iterations (or after late removals) the mixture still gets its size.
    return split_components(model, target, rng, options.perturb)


def _maximize(stats, options):
    return maximize(stats, variance_floor=options.variance_floor, min_count=options.min_count,
                    min_weight=options.min_weight)


def _report(phase, number, stats, model):
    iteration = Iteration(phase, number, stats.average_log_likelihood, stats.num_frames,
                          model.num_components)
    log.info("%s iteration %d: average log-likelihood %.6f per frame over %d frames "
             "(%d components)", phase, number, iteration.log_likelihood, stats.num_frames,
             model.num_components)
    return iteration


def random_frames(frames, count, rng):
    """Up to ``count`` frames drawn uniformly without replacement in one pass, and the total.

    Every frame gets a random key and the ``count`` smallest keys win; the
    candidates are pruned back to ``count`` whenever a quarter more have arrived,
    so memory stays near ``count`` frames whatever the size of the table.
    """
    kept_keys, kept_frames, kept_order = np.empty(0), [], np.empty(0, dtype=np.int64)
    pending_keys, pending_frames, pending_order = [], [], []
    pending = total = 0

    def prune(keys, parts, order):
        keys, order = np.concatenate(keys), np.concatenate(order)
        stacked = np.concatenate(parts)
        if keys.size > count:
            best = np.argpartition(keys, count - 1)[:count]
            keys, order, stacked = keys[best], order[best], stacked[best]
        return keys, [stacked], order

    for _key, matrix in frames:
        pending_keys.append(rng.random(matrix.shape[0]))
        pending_frames.append(matrix)
        pending_order.append(np.arange(total, total + matrix.shape[0]))
        pending += matrix.shape[0]
        total += matrix.shape[0]
        if pending >= max(count // 4, 1):
            kept_keys, kept_frames, kept_order = prune(
                [kept_keys] + pending_keys, kept_frames + pending_frames,
                [kept_order] + pending_order)
            pending_keys, pending_frames, pending_order, pending = [], [], [], 0
    if pending or not kept_frames:
        kept_keys, kept_frames, kept_order = prune(
            [kept_keys] + pending_keys, kept_frames + pending_frames, [kept_order] + pending_order)
    # In table order, so the sample does not depend on how the pruning fell.
    return kept_frames[0][np.argsort(kept_order)], total


def capped_frames(frames, total_frames, cap, rng):
    """The utterances of ``frames`` keeping ``cap`` random frames in all (all of them if cap is 0).

    The frames are chosen by their position in the whole table, so the choice does
    not depend on how the utterances are later split between jobs.
    """
    if not cap or cap >= total_frames:
        yield from frames
        return
    chosen = np.sort(rng.choice(total_frames, size=cap, replace=False))
    start = 0
    for key, matrix in frames:
        low, high = np.searchsorted(chosen, [start, start + matrix.shape[0]])
        if high > low:
            yield key, matrix[chosen[low:high] - start]
        start += matrix.shape[0]
