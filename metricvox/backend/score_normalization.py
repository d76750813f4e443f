"""Symmetric score normalisation against a cohort: s-norm and adaptive s-norm.

Each side of a trial (the enrollment model and the test utterance) is scored with
the trial's own back end against every entry of a cohort of impostor embeddings.
With mu and sigma the mean and standard deviation of those cohort scores,

    s' = 0.5 * ((s - mu_enroll) / sigma_enroll + (s - mu_test) / sigma_test)

s-norm takes all cohort scores; adaptive s-norm (as-norm) only each side's top-N
highest (N = 200 by default, all if the cohort is smaller), the cohort entries
closest to that side. sigma is the sample standard deviation (n - 1), as
WeSpeaker's score normalisation computes it.
"""

import logging

import numpy as np

from metricvox.backend.trial_scoring import enrollment_models
from metricvox.errors import InputError

log = logging.getLogger(__name__)

METHODS = ("asnorm", "snorm")


def cohort_statistics(parts, scorer, cohort_rows, cohort_sizes, top_n=None):
    """``(mean, std)`` of a side's top-N scores against the cohort (all when top_n is None).

    ``parts`` are the side's [(prepared rows, num_utts)] as trial scoring uses them;
    ``cohort_rows`` the cohort's prepared rows stacked, ``cohort_sizes`` rows per entry.
    """
    starts = np.concatenate([[0], np.cumsum(cohort_sizes)[:-1]])
    per_part = []
    for rows, num_utts in parts:
        # A side scores a cohort entry as the mean over their crop pairs, as in a trial.
        row_means = scorer.row_scores(rows, num_utts, cohort_rows).mean(axis=0)
        per_part.append(np.add.reduceat(row_means, starts) / cohort_sizes)
    scores = np.mean(per_part, axis=0)
    if top_n is not None and top_n < scores.size:
        scores = np.partition(scores, scores.size - top_n)[scores.size - top_n:]
    return float(scores.mean()), float(scores.std(ddof=1))


def symmetric_normalization(score, enroll_stats, test_stats):
    """s' from a raw score and each side's cohort (mean, std)."""
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
    cohort = [scorer.prepare(e, key) for key, e in cohort_embeddings.items()]
    keep = None if method == "snorm" else top_n
    if keep is not None and keep >= len(cohort):
        log.info("the cohort has %d entries, not more than --top-n %d: all are used",
                 len(cohort), top_n)
    models = enrollment_models(dict.fromkeys(e for e, _ in scores), enroll_embeddings, scorer,
                               enroll_map, average)
    usable = [(e, t) for e, t in scores if e in models and t in test_embeddings]
    if not usable:
        first = next(iter(scores), ("?", "?"))
        raise InputError(f"none of the {len(scores)} scored trials has both embeddings (first: "
                         f"'{first[0]} {first[1]}')", where)
    if len(usable) < len(scores):
        log.warning("%d of %d scored trials lack an embedding and were not normalised",
                    len(scores) - len(usable), len(scores))
    width = next(iter(models.values()))[0][0].shape[1]
    for key, rows in zip(cohort_embeddings, cohort):
        if rows.shape[1] != width:
            raise InputError(f"cohort entry '{key}' has dimension {rows.shape[1]}, the trials' "
                             f"embeddings {width}", cohort_where)
    cohort_rows = np.concatenate(cohort)
    cohort_sizes = np.array([len(rows) for rows in cohort])

    def stats(side, parts):
        mean, std = cohort_statistics(parts, scorer, cohort_rows, cohort_sizes, keep)
        if not std > 0:
            raise InputError(f"the cohort scores of '{side}' do not vary: cannot normalise",
                             cohort_where)
        return mean, std

    enroll_stats = {e: stats(e, models[e]) for e in dict.fromkeys(e for e, _ in usable)}
    test_stats = {}
    for t in dict.fromkeys(t for _, t in usable):
        rows = scorer.prepare(test_embeddings[t], t)
        if rows.shape[1] != width:
            raise InputError(f"embeddings differ in dimension: '{t}' has {rows.shape[1]}, the "
                             f"enrollment side {width}", where)
        test_stats[t] = stats(t, [(rows, 1)])
    return [(e, t, symmetric_normalization(scores[(e, t)], enroll_stats[e], test_stats[t]))
            for e, t in usable]
