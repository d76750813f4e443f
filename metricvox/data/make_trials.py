"""Balanced verification trials drawn from a data dir's speaker labels.

For development lists (validation, early stopping, fusion training) where a corpus
ships none: every utterance is paired as enrollment with up to ``per_utterance``
utterances of its own speaker (targets) and as many of other speakers
(non-targets), drawn without replacement with a seeded generator. A trial and its
mirror image are never both listed. Written in Kaldi's ``enroll test
target|nontarget`` format, sorted.
"""

import numpy as np

from metricvox.data.tables import c_order
from metricvox.errors import InputError


def balanced_trials(utt2spk, per_utterance, seed=0):
    """[(enroll, test, is_target)] for ``utt2spk`` ``{utt: speaker}``."""
    if per_utterance < 1:
        raise InputError(f"need at least one trial per utterance, got {per_utterance}")
    utterances = sorted(utt2spk, key=c_order)
    speakers = {utt2spk[u] for u in utterances}
    if len(speakers) < 2:
        raise InputError(f"trials need at least 2 speakers, the data have {len(speakers)}")
    rng = np.random.default_rng(seed)
    members = {}
    for utt in utterances:
        members.setdefault(utt2spk[utt], []).append(utt)
    chosen = set()
    for enroll in utterances:
        same = [u for u in members[utt2spk[enroll]]
                if u != enroll and (u, enroll) not in chosen and (enroll, u) not in chosen]
        targets = rng.permutation(same)[:per_utterance]
        others = np.flatnonzero([utt2spk[u] != utt2spk[enroll] for u in utterances])
        picks = rng.permutation(others)
        nontargets = [utterances[i] for i in picks
                      if (utterances[i], enroll) not in chosen][:max(len(targets), 1)]
        chosen.update((enroll, str(t)) for t in targets)
        chosen.update((enroll, n) for n in nontargets)
    same_speaker = {(a, b): utt2spk[a] == utt2spk[b] for a, b in chosen}
    return [(a, b, same_speaker[(a, b)])
            for a, b in sorted(chosen, key=lambda t: (c_order(t[0]), c_order(t[1])))]
