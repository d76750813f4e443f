"""Scoring a trial list from embeddings, with optional multi-utterance enrollment.

An enrollment side may be one utterance or, through an enrollment map
(``model utt1 utt2 ...``, like spk2utt), several. Their embeddings are combined
in one of two explicitly chosen ways, which give different EERs:
- ``embedding``: the model is the centroid (mean) of all its embeddings (the
  singer paper's prototype), after the back end's preprocessing, scored once
  against the test side as an average of n utterances (PLDA uses the count);
- ``score``: each enrollment utterance is scored against the test side and the
  scores are averaged.

The back end is any scorer with the two methods of
:class:`metricvox.backend.similarity.SimilarityScorer` (the tools build them by name,
:mod:`metricvox.scoring_backends`), or the name of a similarity metric.
"""

import logging

import numpy as np

from metricvox.backend.similarity import SimilarityScorer
from metricvox.errors import InputError

log = logging.getLogger(__name__)

AVERAGING = ("embedding", "score")


def enrollment_models(enroll_ids, enroll_embeddings, scorer, enroll_map=None,
                      average="embedding"):
    """``{enroll id: [(rows, num_utts)]}``: the parts each buildable model is scored by.

    ``rows`` are prepared by ``scorer``; the model's score is the mean of its parts'.
    """
    if average not in AVERAGING:
        raise InputError(f"unknown averaging {average!r}; choose from {', '.join(AVERAGING)}")
    models = {}
    for enroll in enroll_ids:
        members = enroll_map.get(enroll, None) if enroll_map is not None else [enroll]
        if members is None:
            continue
        present = [scorer.prepare(enroll_embeddings[u], u) for u in members
                   if u in enroll_embeddings]
        if len(present) < len(members):
            log.warning("enrollment '%s': %d of its %d utterances have no embedding", enroll,
                        len(members) - len(present), len(members))
        if not present:
            continue
        if len(present) == 1:
            # A single utterance keeps its crops, so K x K multi-crop scoring stays the
            # mean of all crop pairs.
            models[enroll] = [(present[0], 1)]
        elif average == "embedding":
            models[enroll] = [(np.concatenate(present).mean(axis=0, keepdims=True), len(present))]
        else:
            models[enroll] = [(rows, 1) for rows in present]
    return models


def model_score(scorer, parts, test_rows):
    """The score of a model (its parts) against a test side's prepared rows."""
    return float(np.mean([scorer.row_scores(rows, n, test_rows).mean() for rows, n in parts]))


def score_trials(trials, enroll_embeddings, test_embeddings, *, metric="cosine",
                 average="embedding", enroll_map=None, where=None):
    """``[(enroll, test, score)]`` for every trial whose two sides exist.

    ``metric`` is a scorer or a similarity metric's name (cosine, euclidean). Trials
    with a missing side are skipped and counted in the log, Kaldi style; if none can be
    scored it is an error naming the trial list ``where``.
    """
    scorer = SimilarityScorer(metric) if isinstance(metric, str) else metric
    models = enrollment_models(dict.fromkeys(t.enroll for t in trials), enroll_embeddings,
                               scorer, enroll_map, average)
    tests = {}
    scored, skipped = [], []
    dims = set()
    for trial in trials:
        if trial.enroll not in models or trial.test not in test_embeddings:
            skipped.append(trial)
            continue
        if trial.test not in tests:
            tests[trial.test] = scorer.prepare(test_embeddings[trial.test], trial.test)
        test = tests[trial.test]
        parts = models[trial.enroll]
        dims.update({test.shape[1]} | {rows.shape[1] for rows, _ in parts})
        if len(dims) > 1:
            raise InputError(f"embeddings differ in dimension: {sorted(dims)} (trial "
                             f"'{trial.enroll} {trial.test}')", where, trial.line)
        scored.append((trial.enroll, trial.test, model_score(scorer, parts, test)))
    if not scored:
        first = trials[0] if trials else None
        detail = f" (first: '{first.enroll} {first.test}')" if first else ""
        raise InputError(f"none of the {len(trials)} trials has both embeddings{detail}", where)
    if skipped:
        log.warning("%d of %d trials lack an embedding and were not scored (first: '%s %s')",
                    len(skipped), len(trials), skipped[0].enroll, skipped[0].test)
    return scored
