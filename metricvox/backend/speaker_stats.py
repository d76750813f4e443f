"""What LDA, WCCN and PLDA need of speaker-labelled vectors, accumulated without holding them.

Per speaker s its count n_s and mean m_s; over all speakers the within-speaker scatter
``sum_s sum_i (x_si - m_s)(x_si - m_s)^T`` and, for WCCN, the same with each speaker's
term divided by n_s. Vectors arrive in any order, in batches, so a table of a million
vectors costs D x D numbers plus D per speaker, not D per vector.

The scatter is accumulated about each speaker's first vector k_s rather than its mean
(unknown until the end): with d_s = sum_i (x_si - k_s),

    sum_i (x_si - m_s)(x_si - m_s)^T = sum_i (x_si - k_s)(x_si - k_s)^T - d_s d_s^T / n_s

which is exact, and keeps the numbers summed at the within-speaker scale (the plain
sum x x^T - n m m^T would cancel terms of the size of the mean). A speaker's first vector
adds nothing, so a speaker with a single vector leaves the scatter as it was.
"""

from dataclasses import dataclass

import numpy as np

from metricvox.errors import InputError


@dataclass
class SpeakerStats:
    """The statistics of the speakers kept for training (in the order given)."""
    counts: np.ndarray            # (S,) vectors per speaker
    means: np.ndarray             # (S, D)
    scatter: np.ndarray           # (D, D) within-speaker scatter about the speaker means
    averaged_scatter: np.ndarray  # (D, D) the same with speaker s's term divided by n_s, or
                                  # None if the counts were not known while accumulating

    @property
    def dim(self):
        return self.means.shape[1]

    @property
    def num_speakers(self):
        return len(self.counts)

    @property
    def num_vectors(self):
        return int(self.counts.sum())

    @property
    def mean(self):
        """The mean of all the vectors."""
        return self.counts @ self.means / self.num_vectors

    @classmethod
    def of_groups(cls, groups):
        """The statistics of a list of (n_s, D) arrays, one per speaker."""
        counts = np.array([len(group) for group in groups], dtype=np.float64)
        accumulator = SpeakerStatsAccumulator(groups[0].shape[1], 1.0 / counts)
        for speaker, group in enumerate(groups):
            accumulator.add(np.full(len(group), speaker), group)
        return accumulator.result(range(len(groups)))


def speaker_stats(groups_or_stats):
    """SpeakerStats of a list of speaker groups; SpeakerStats are returned as they are."""
    if isinstance(groups_or_stats, SpeakerStats):
        return groups_or_stats
    if not len(groups_or_stats):
        raise InputError("no speakers to learn from")
    return SpeakerStats.of_groups(groups_or_stats)


class SpeakerStatsAccumulator:
    """Adds batches of (speaker index, vector) pairs; speaker indices are 0, 1, ... in any order.

    ``inverse_counts``, if given, are the 1/n_s of every speaker (known from an earlier pass),
    needed for the averaged scatter; without them there is none.
    """

    def __init__(self, dim, inverse_counts=None):
        self.dim = dim
        self.inverse_counts = inverse_counts
        self.counts = np.zeros(0, dtype=np.int64)
        self.references = np.zeros((0, dim))
        self.shifted_sums = np.zeros((0, dim))
        self.scatter = np.zeros((dim, dim))
        self.averaged_scatter = np.zeros((dim, dim))

    def _grow(self, num_speakers):
        extra = num_speakers - len(self.counts)
        if extra > 0:
            extra = max(extra, len(self.counts))     # doubling: amortised growth
            self.counts = np.concatenate([self.counts, np.zeros(extra, dtype=np.int64)])
            self.references = np.concatenate([self.references, np.zeros((extra, self.dim))])
            self.shifted_sums = np.concatenate([self.shifted_sums, np.zeros((extra, self.dim))])

    def add(self, speakers, rows):
        """Add (B, D) ``rows`` of speakers ``speakers`` (B,)."""
        speakers = np.asarray(speakers, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.float64)
        if not len(rows):
            return
        self._grow(int(speakers.max()) + 1)
        # A speaker's reference is its first vector: the first row of each new speaker.
        new = self.counts[speakers] == 0
        first_rows = np.unique(speakers[new], return_index=True)
        self.references[first_rows[0]] = rows[np.flatnonzero(new)[first_rows[1]]]
        shifted = rows - self.references[speakers]
        np.add.at(self.counts, speakers, 1)
        np.add.at(self.shifted_sums, speakers, shifted)
        self.scatter += shifted.T @ shifted
        if self.inverse_counts is not None:
            self.averaged_scatter += (shifted * self.inverse_counts[speakers, None]).T @ shifted

    def result(self, kept):
        """The SpeakerStats of the speakers ``kept`` (indices, in the order wanted)."""
        kept = np.asarray(list(kept), dtype=np.int64)
        counts = self.counts[kept]
        sums = self.shifted_sums[kept]
        means = self.references[kept] + sums / counts[:, None]
        # Speakers left out still added to the scatter, unless they had a single vector.
        dropped = np.setdiff1d(np.flatnonzero(self.counts), kept)
        if np.any(self.counts[dropped] > 1):
            raise ValueError("only speakers with a single vector can be left out of the scatter")
        scatter = self.scatter - (sums / counts[:, None]).T @ sums
        averaged = None
        if self.inverse_counts is not None:
            averaged = self.averaged_scatter - (sums / (counts ** 2)[:, None]).T @ sums
            averaged = 0.5 * (averaged + averaged.T)
        return SpeakerStats(counts, means, 0.5 * (scatter + scatter.T), averaged)
