"""Baum-Welch statistics of utterances against a UBM, computed as Kaldi's i-vector recipes do.

Per frame (:class:`UbmAligner`):

- Gaussian selection: the ``num_gselect`` components (default 20) with the highest
  likelihood, weight included, under the *diagonal* version of the UBM (gmm-gselect);
- posteriors of the UBM itself (full covariance, or diagonal if that is what it is)
  over the selected components only (fgmm-global-gselect-to-post);
- pruning: posteriors below ``min_post`` (default 0.025) become zero and the rest are
  renormalised to sum to one, as Kaldi does; if every one were below, the best keeps
  posterior one (Kaldi's rule too).

Per utterance (:class:`BatchStats`): zeroth order ``N_c = sum_t g_tc`` and first order
``F_c = sum_t g_tc x_t``, not centred (the extractor centres with its own means).
First-order statistics are stored in float32: they are by far the largest object
(C x D numbers per utterance) and float32 keeps 7 significant digits of a sum of
float32 features.

Over a whole training set (:class:`TotalStats`): the sums of N_c and F_c and the
second order ``S_c = sum_t g_tc x_t x_t'``, which is all Kaldi's extractor training
needs of the second order (it re-estimates each Sigma_c from these sums).
"""

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from scipy.special import logsumexp

from metricvox.errors import InputError
from metricvox.features.checks import check_finite
from metricvox.io import read_matrices

log = logging.getLogger(__name__)

#: A batch holds at most this many utterances, or this many frames (but at least one utterance).
BATCH_UTTERANCES = 64
BATCH_FRAMES = 20000


@dataclass
class FramePosteriors:
    """Sparse frame-to-component posteriors: one entry per surviving (frame, component) pair."""
    frame: np.ndarray       # (P,) frame index
    component: np.ndarray   # (P,) component index
    posterior: np.ndarray   # (P,) posterior, summing to one over each frame's entries


@dataclass
class BatchStats:
    """Zeroth- and first-order statistics of a batch of utterances."""
    keys: list
    zeroth: np.ndarray      # (B, C) float64
    first: np.ndarray       # (B, C, D) float32, not centred

    def __len__(self):
        return len(self.keys)


@dataclass
class TotalStats:
    """Statistics summed over every frame of a training set."""
    zeroth: np.ndarray          # (C,)
    first: np.ndarray           # (C, D)
    second: np.ndarray          # (C, D, D)
    num_frames: int
    log_likelihood: float       # sum of the frames' UBM log-likelihoods on the selected Gaussians

    def __add__(self, other):
        return TotalStats(self.zeroth + other.zeroth, self.first + other.first,
                          self.second + other.second, self.num_frames + other.num_frames,
                          self.log_likelihood + other.log_likelihood)


class UbmAligner:
    """Aligns frames to a UBM's components: Gaussian selection, posteriors, statistics."""

    def __init__(self, ubm, num_gselect=20, min_post=0.025):
        if num_gselect < 1:
            raise InputError(f"--num-gselect must be at least 1, got {num_gselect}")
        if not 0.0 <= min_post < 1.0:
            raise InputError(f"--min-post must be in [0, 1), got {min_post}")
        self.ubm = ubm
        self.num_gselect = min(int(num_gselect), ubm.num_components)
        self.min_post = float(min_post)
        self._diag = ubm.to_diag()
        if ubm.kind == "full":
            try:
                chol = np.linalg.cholesky(ubm.covars)
            except np.linalg.LinAlgError:
                raise InputError("a UBM covariance is not positive definite") from None
            # (x - mu)' Sigma^-1 (x - mu) = |W (x - mu)|^2 with W = chol^-1 (lower triangular).
            self._whiteners = np.linalg.inv(chol)
            log_det = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(1)
            with np.errstate(divide="ignore"):
                self._log_constants = (np.log(ubm.weights)
                                       - 0.5 * (ubm.dim * np.log(2.0 * np.pi) + log_det))

    @property
    def num_components(self):
        return self.ubm.num_components

    @property
    def dim(self):
        return self.ubm.dim

    def select(self, frames):
        """(T, N) indices of each frame's top-N components under the diagonal UBM, and their
        (T, N) log-likelihoods (weight included), in no particular order within a frame."""
        log_likes = self._diag.component_log_likelihoods(frames)
        if self.num_gselect == self.num_components:
            selected = np.broadcast_to(np.arange(self.num_components), log_likes.shape).copy()
        else:
            top = np.argpartition(-log_likes, self.num_gselect - 1, axis=1)
            selected = top[:, :self.num_gselect]
        return selected, np.take_along_axis(log_likes, selected, axis=1)

    def posteriors(self, frames):
        """Pruned posteriors of the UBM over each frame's selected components, and the (T,)
        frame log-likelihoods over the selected components (before pruning)."""
        frames = np.asarray(frames, dtype=np.float64)
        selected, diag_log_likes = self.select(frames)
        if self.ubm.kind == "diag":
            log_likes = diag_log_likes
        else:
            log_likes = self._full_log_likelihoods(frames, selected)
        frame_log_likes = logsumexp(log_likes, axis=1)
        posteriors = self._prune(np.exp(log_likes - frame_log_likes[:, None]))
        frame, slot = np.nonzero(posteriors)
        return (FramePosteriors(frame, selected[frame, slot], posteriors[frame, slot]),
                frame_log_likes)

    def _full_log_likelihoods(self, frames, selected):
        """log w_c + log N(x_t; mu_c, Sigma_c) for the selected (t, c) pairs only.

        Pairs are grouped by component, so that each component whitens all the frames
        that selected it with its own W.
        """
        num_frames, num_selected = selected.shape
        components = selected.ravel()
        order = np.argsort(components, kind="stable")
        counts = np.bincount(components, minlength=self.num_components)
        result = np.empty(components.size)
        start = 0
        for c in np.flatnonzero(counts):
            pairs = order[start:start + counts[c]]
            start += counts[c]
            z = _whiten(frames[pairs // num_selected] - self.ubm.means[c], self._whiteners[c])
            result[pairs] = self._log_constants[c] - 0.5 * np.einsum("ij,ij->i", z, z)
        return result.reshape(num_frames, num_selected)

    def _prune(self, posteriors):
        if self.min_post <= 0.0:
            return posteriors
        best = posteriors.argmax(axis=1)
        pruned = np.where(posteriors < self.min_post, 0.0, posteriors)
        empty = pruned.sum(axis=1) == 0.0
        pruned[empty, best[empty]] = 1.0
        return pruned / pruned.sum(axis=1, keepdims=True)

    def batch_stats(self, keys, utterances, second_order=False):
        """BatchStats of the utterances (each a (T_u, D) matrix with T_u > 0), and their
        TotalStats when ``second_order`` (else None)."""
        lengths = [len(u) for u in utterances]
        frames = np.concatenate([np.asarray(u, dtype=np.float64) for u in utterances])
        posts, frame_log_likes = self.posteriors(frames)
        num_utts, num_comps, dim = len(utterances), self.num_components, self.dim
        utterance_of_frame = np.repeat(np.arange(num_utts), lengths)
        rows = utterance_of_frame[posts.frame] * num_comps + posts.component
        zeroth = np.bincount(rows, weights=posts.posterior, minlength=num_utts * num_comps)
        gather = scipy.sparse.csr_matrix((posts.posterior, (rows, posts.frame)),
                                         shape=(num_utts * num_comps, len(frames)))
        first = np.asarray(gather @ frames).reshape(num_utts, num_comps, dim).astype(np.float32)
        batch = BatchStats(list(keys), zeroth.reshape(num_utts, num_comps), first)
        if not second_order:
            return batch, None
        # The totals are taken from the float32 first order, so that they are exactly the
        # sum of what the extractor training sees per utterance.
        totals = TotalStats(batch.zeroth.sum(0), first.sum(0, dtype=np.float64),
                            self._second_order(frames, posts), len(frames),
                            float(frame_log_likes.sum()))
        return batch, totals

    def _second_order(self, frames, posts):
        second = np.zeros((self.num_components, self.dim, self.dim))
        order = np.argsort(posts.component, kind="stable")
        counts = np.bincount(posts.component, minlength=self.num_components)
        start = 0
        for c in np.flatnonzero(counts):
            pairs = order[start:start + counts[c]]
            start += counts[c]
            x = frames[posts.frame[pairs]]
            second[c] = (x * posts.posterior[pairs, None]).T @ x
        return second


def _whiten(rows, whitener, block=64):
    """``rows @ whitener.T`` as a stack of products of ``block`` rows (zero-padded).

    BLAS runs products this small on one thread; one (n x D)(D x D) product per
    component would be threaded, and on a busy machine its threads wait for each other:
    measured 5 to 20 times slower (bench/ivector_speed.py machine, 2 shared cores).
    """
    num_rows, dim = rows.shape
    padded = np.zeros((-(-num_rows // block) * block, dim))
    padded[:num_rows] = rows
    return np.matmul(padded.reshape(-1, block, dim), whitener.T).reshape(-1, dim)[:num_rows]


def feature_batches(rspecifier, dim, max_utterances=BATCH_UTTERANCES, max_frames=BATCH_FRAMES):
    """Yield ``(keys, [frames])`` batches from a feature table, every utterance checked.

    A matrix of another dimension than ``dim``, or holding NaN/inf, is an InputError
    naming the utterance; utterances with no frames are skipped and counted in the log;
    a table with no usable utterance at all is an InputError.
    """
    keys, utterances, frames_in_batch = [], [], 0
    num_read = num_empty = 0
    for key, matrix in read_matrices(rspecifier):
        num_read += 1
        if matrix.ndim != 2 or (matrix.shape[0] > 0 and matrix.shape[1] != dim):
            shown = matrix.shape[-1] if matrix.ndim else 0
            raise InputError(f"utterance {key}: features of dimension {shown} do not match "
                             f"the UBM's dimension {dim}", rspecifier)
        if matrix.shape[0] == 0:
            num_empty += 1
            continue
        check_finite(matrix, key, path=rspecifier)
        if keys and (len(keys) == max_utterances or frames_in_batch + len(matrix) > max_frames):
            yield keys, utterances
            keys, utterances, frames_in_batch = [], [], 0
        keys.append(key)
        utterances.append(matrix)
        frames_in_batch += len(matrix)
    if num_empty:
        log.warning("skipped %d of %d utterances that have no frames", num_empty, num_read)
    if num_read == num_empty:
        raise InputError("no utterance with frames in the feature table" if num_read else
                         "the feature table is empty", rspecifier)
    if keys:
        yield keys, utterances


class TrainingStatsJob:
    """What a worker does with one feature batch when collecting training statistics."""

    def __init__(self, aligner):
        self.aligner = aligner

    def __call__(self, batch):
        keys, utterances = batch
        return self.aligner.batch_stats(keys, utterances, second_order=True)


def collect_training_stats(aligner, rspecifier, nj=1, batches=None):
    """All utterances' BatchStats, one per feature batch, and their TotalStats.

    The BatchStats are appended to ``batches`` (a list by default, or a
    :class:`metricvox.ivector.spilled_stats.SpilledBatches`), which is returned.
    With ``nj`` > 1 the batches are aligned in ``nj`` worker processes.
    """
    from metricvox.progress import progress
    from metricvox.worker_pool import ordered_map

    batches = [] if batches is None else batches
    totals = None
    results = ordered_map(TrainingStatsJob(aligner), feature_batches(rspecifier, aligner.dim), nj)
    bar = progress(desc="statistics", unit="utt")
    for batch, batch_totals in results:
        batches.append(batch)
        totals = batch_totals if totals is None else totals + batch_totals
        bar.update(len(batch))
    bar.close()
    return batches, totals
