"""MAP adaptation of a UBM's means to a speaker (Reynolds et al., 2000).

With N_c and F_c the zeroth- and first-order statistics of the speaker's frames
under the UBM and r the relevance factor, each mean moves towards the data by as
much as the data supports::

    m_c' = (F_c + r m_c) / (N_c + r)

Weights and covariances stay the UBM's, so a speaker model is its (C, D) matrix
of adapted means. A model is one utterance, or several through an enrollment
map (``model utt1 utt2 ...``, like spk2utt) whose statistics are summed.
"""

import logging

from metricvox.errors import InputError
from metricvox.gmm.estep import StatsAccumulator, accumulate
from metricvox.gmm.frames import checked_frames

log = logging.getLogger(__name__)


def adapted_means(ubm, stats, relevance=16.0):
    """The (C, D) MAP-adapted means for the statistics ``stats`` of the speaker's frames."""
    if not 0 <= relevance < float("inf"):   # NaN fails the comparison too
        raise InputError(f"--relevance must be a finite number >= 0, got {relevance}")
    return (stats.first + relevance * ubm.means) / (stats.zeroth + relevance)[:, None]


def adapt_models(ubm, features, *, relevance=16.0, enroll_map=None, where=None, map_path=None,
                 device="cpu"):
    """Yield ``(model, adapted means)`` for each utterance, or each model of ``enroll_map``.

    ``features`` iterates ``(utterance, frames)`` (from table ``where``).
    ``enroll_map`` ({model: [utterances]}, read from ``map_path``) makes each model
    of the map from the frames of its utterances; a model is written once all of
    them have been seen, or at the end. Utterances of the map without features are
    counted in a warning; a model with none of its utterances is an error.
    """
    if enroll_map is None:
        for utterance, frames in features:
            frames = checked_frames(frames, utterance, where, ubm.dim)
            yield utterance, adapted_means(ubm, accumulate(ubm, frames, None, device), relevance)
        return
    models_of = {}
    for model, members in enroll_map.items():
        for utterance in members:
            models_of.setdefault(utterance, {})[model] = True
    waiting = {model: set(members) for model, members in enroll_map.items()}
    accumulators = {}
    for utterance, frames in features:
        if utterance not in models_of:
            continue
        frames = checked_frames(frames, utterance, where, ubm.dim)
        for model in models_of[utterance]:
            if model not in accumulators:
                accumulators[model] = StatsAccumulator(ubm, None, device)
            accumulators[model].add(frames)
            waiting[model].discard(utterance)
            if not waiting[model]:
                yield model, adapted_means(ubm, accumulators.pop(model).stats(), relevance)
    missing = sorted({u for pending in waiting.values() for u in pending})
    if missing:
        total = len(models_of)
        log.warning("%d of the %d utterances of the enrollment map have no features (first: '%s')",
                    len(missing), total, missing[0])
    for model in enroll_map:
        if model in accumulators:
            yield model, adapted_means(ubm, accumulators.pop(model).stats(), relevance)
        elif waiting[model]:
            raise InputError(f"model '{model}': none of its {len(enroll_map[model])} utterances "
                             f"has features in {where}", map_path)

