"""Symmetric score normalisation against a cohort: s-norm and adaptive s-norm.

Each side of a trial (the enrollment model and the test utterance) is scored with
the trial's own back end against every entry of a cohort of impostor embeddings.
With mu and sigma the mean and standard deviation of those cohort scores,

    s' = 0.5 * ((s - mu_enroll) / sigma_enroll + (s - mu_test) / sigma_test)

s-norm takes all cohort scores; adaptive s-norm (as-norm) only each side's top-N
highest (N = 200 by default, all if the cohort is smaller), the cohort entries
closest to that side. sigma is the sample standard deviation (n - 1), as
WeSpeaker's score normalisation computes it. A side scores a cohort entry as it
scores a trial's other side: the mean over its parts and over their crop pairs;
the sides are scored in blocks, each against the whole cohort at once.
"""

import logging

import numpy as np

from metricvox.backend.trial_sides import (blocks, num_utts_argument, prepare_sides,
                                           prepare_utterances)
from metricvox.errors import InputError

log = logging.getLogger(__name__)

METHODS = ("asnorm", "snorm")
BLOCK_ROWS = 256   # side rows scored against the cohort at once


def _mean_over(scores, offsets):
    """Rows of ``scores`` averaged within the groups that ``offsets`` (G + 1,) delimit."""
    sizes = np.diff(offsets)
    if (sizes == 1).all():
        return scores
    return np.add.reduceat(scores, offsets[:-1] - offsets[0], axis=0) / sizes[:, None]


def cohort_statistics(sides, scorer, cohort, top_n=None):
    """``(means, stds)``, one per side of ``sides`` (a Sides), of its top-N scores against
    ``cohort`` (PreparedUtterances; all scores when top_n is None)."""
    means, stds = np.empty(len(sides.names)), np.empty(len(sides.names))
    for start, stop in blocks(sides.slots_per_side(), BLOCK_ROWS):
        parts = sides.side_parts[start:stop + 1]
        slots = sides.part_slots[parts[0]:parts[-1] + 1]
        num_utts = np.repeat(sides.part_utts[parts[0]:parts[-1]], np.diff(slots))
        scores = scorer.row_scores(sides.rows[sides.row_of_slot[slots[0]:slots[-1]]],
                                   num_utts_argument(num_utts), cohort.rows)
        scores = _mean_over(_mean_over(scores.T, cohort.offsets).T, slots)  # crop pairs
        scores = _mean_over(scores, parts)                                 # a side's parts
        if top_n is not None and top_n < scores.shape[1]:
            scores = np.partition(scores, scores.shape[1] - top_n, axis=1)[:, -top_n:]
        means[start:stop] = scores.mean(axis=1)
        stds[start:stop] = scores.std(axis=1, ddof=1)
    return means, stds


def symmetric_normalization(score, enroll_stats, test_stats):
    """s' from raw scores and each side's cohort (mean, std) (numbers or arrays)."""
    (enroll_mean, enroll_std), (test_mean, test_std) = enroll_stats, test_stats
    return 0.5 * ((score - enroll_mean) / enroll_std + (score - test_mean) / test_std)


def normalize_scores(scores, enroll_embeddings, test_embeddings, cohort_embeddings, scorer, *,
                     method="asnorm", top_n=200, enroll_map=None, average="embedding",
                     where=None, cohort_where=None):
    """``[(enroll, test, normalised score)]`` for ``scores`` ``{(enroll, test): raw}``.

    The sides are built as trial scoring builds them (enrollment map, averaging,
    back end); score pairs with a side missing are skipped and counted, and it is an
    error if none is left (``where`` names the score file, ``cohort_where`` the cohort).
    """
    if method not in METHODS:
        raise InputError(f"unknown score normalisation {method!r}; choose from {', '.join(METHODS)}")
    if method == "asnorm" and top_n < 2:
        raise InputError(f"--top-n must be at least 2, got {top_n}")
    if len(cohort_embeddings) < 2:
        raise InputError(f"the cohort has {len(cohort_embeddings)} entries; normalisation needs "
                         "at least 2", cohort_where)
    cohort = prepare_utterances(cohort_embeddings, cohort_embeddings, scorer, cohort_where)
    keep = None if method == "snorm" else top_n
    if keep is not None and keep >= len(cohort.keys):
        log.info("the cohort has %d entries, not more than --top-n %d: all are used",
                 len(cohort.keys), top_n)
    enroll, test = prepare_sides(dict.fromkeys(e for e, _ in scores), enroll_embeddings,
                                 dict.fromkeys(t for _, t in scores), test_embeddings, scorer,
                                 enroll_map=enroll_map, average=average, where=where)
    usable = [(e, t) for e, t in scores if e in enroll.index and t in test.index]
    if not usable:
        first = next(iter(scores), ("?", "?"))
        raise InputError(f"none of the {len(scores)} scored trials has both embeddings (first: "
                         f"'{first[0]} {first[1]}')", where)
    if len(usable) < len(scores):
        log.warning("%d of %d scored trials lack an embedding and were not normalised",
                    len(scores) - len(usable), len(scores))
    if cohort.rows.shape[1] != enroll.width:
        raise InputError(f"cohort entry '{cohort.keys[0]}' has dimension {cohort.rows.shape[1]}, "
                         f"the trials' embeddings {enroll.width}", cohort_where)

    def statistics(sides, used):
        means, stds = cohort_statistics(sides, scorer, cohort, keep)
        flat = used[~(stds[used] > 0)]
        if flat.size:
            raise InputError(f"the cohort scores of '{sides.names[flat[0]]}' do not vary: cannot "
                             "normalise", cohort_where)
        return means, stds

    enroll_sides = np.fromiter((enroll.index[e] for e, _ in usable), np.int64, len(usable))
    test_sides = np.fromiter((test.index[t] for _, t in usable), np.int64, len(usable))
    if test is enroll:
        used = np.unique(np.concatenate([enroll_sides, test_sides]))
        enroll_stats = test_stats = statistics(enroll, used)
    else:
        enroll_stats = statistics(enroll, np.unique(enroll_sides))
        test_stats = statistics(test, np.unique(test_sides))
    raw = np.fromiter((scores[pair] for pair in usable), np.float64, len(usable))
    normalized = symmetric_normalization(
        raw, tuple(s[enroll_sides] for s in enroll_stats), tuple(s[test_sides] for s in test_stats))
    return [(e, t, score) for (e, t), score in zip(usable, normalized.tolist())]
