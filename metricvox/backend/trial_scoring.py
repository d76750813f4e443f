"""Scoring a trial list from embeddings, with optional multi-utterance enrollment.

An enrollment side may be one utterance or, through an enrollment map
(``model utt1 utt2 ...``, like spk2utt), several. Their embeddings are combined
in one of two explicitly chosen ways, which give different EERs:
- ``embedding``: the model is the centroid (mean) of all its embeddings (the
  singer paper's prototype), scored once against the test side;
- ``score``: each enrollment utterance is scored against the test side and the
  scores are averaged.
"""

import logging

import numpy as np

from metricvox.backend.similarity import as_crops, crop_set_score
from metricvox.errors import InputError

log = logging.getLogger(__name__)

AVERAGING = ("embedding", "score")


def enrollment_sets(trials, enroll_embeddings, enroll_map=None):
    """{enroll id: [crop matrices]} for the enroll ids of ``trials`` that can be built."""
    sets = {}
    for enroll in {t.enroll for t in trials}:
        members = enroll_map.get(enroll, None) if enroll_map is not None else [enroll]
        if members is None:
            continue
        present = [as_crops(enroll_embeddings[u], u) for u in members if u in enroll_embeddings]
        if len(present) < len(members):
            log.warning("enrollment '%s': %d of its %d utterances have no embedding", enroll,
                        len(members) - len(present), len(members))
        if present:
            sets[enroll] = present
    return sets


def score_trials(trials, enroll_embeddings, test_embeddings, *, metric="cosine",
                 average="embedding", enroll_map=None, where=None):
    """``[(enroll, test, score)]`` for every trial whose two sides exist.

    Trials with a missing side are skipped and counted in the log, Kaldi style; if
    none can be scored it is an error naming the trial list ``where``.
    """
    if average not in AVERAGING:
        raise InputError(f"unknown averaging {average!r}; choose from {', '.join(AVERAGING)}")
    models = enrollment_sets(trials, enroll_embeddings, enroll_map)
    if average == "embedding":
        # A model of several utterances becomes their centroid; a single utterance keeps
        # its crops, so K x K multi-crop scoring stays the mean of all crop pairs.
        models = {k: v if len(v) == 1 else [np.concatenate(v).mean(axis=0, keepdims=True)]
                  for k, v in models.items()}
    scored, skipped = [], []
    dims = set()
    for trial in trials:
        if trial.enroll not in models or trial.test not in test_embeddings:
            skipped.append(trial)
            continue
        test = as_crops(test_embeddings[trial.test], trial.test)
        parts = models[trial.enroll]
        dims.update({test.shape[1]} | {p.shape[1] for p in parts})
        if len(dims) > 1:
            raise InputError(f"embeddings differ in dimension: {sorted(dims)} (trial "
                             f"'{trial.enroll} {trial.test}')", where, trial.line)
        score = np.mean([crop_set_score(p, test, metric) for p in parts])
        scored.append((trial.enroll, trial.test, float(score)))
    if not scored:
        first = trials[0] if trials else None
        detail = f" (first: '{first.enroll} {first.test}')" if first else ""
        raise InputError(f"none of the {len(trials)} trials has both embeddings{detail}", where)
    if skipped:
        log.warning("%d of %d trials lack an embedding and were not scored (first: '%s %s')",
                    len(skipped), len(trials), skipped[0].enroll, skipped[0].test)
    return scored
