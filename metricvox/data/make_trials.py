"""Balanced verification trials drawn from a data dir's speaker labels.

For development lists (validation, early stopping, fusion training) where a corpus
ships none: every utterance is paired as enrollment with up to ``per_utterance``
utterances of its own speaker (targets) and as many of other speakers
(non-targets), drawn without replacement with a seeded generator. A trial and its
mirror image are never both listed. Written in Kaldi's ``enroll test
target|nontarget`` format, sorted.

The cost is linear in the number of utterances (VoxCeleb1 dev has 148,642): non-targets
are drawn by rejection from all utterances, which accepts most draws whenever no one
speaker holds most of the data; only where it does is the enrollment's list of other
speakers' utterances built in full.
"""

import numpy as np

from metricvox.data.tables import c_order
from metricvox.errors import InputError

# Draws before falling back to the full list of other speakers' utterances.
_REJECTION_TRIES = 64


def balanced_trials(utt2spk, per_utterance, seed=0, where=None):
    """[(enroll, test, is_target)] for ``utt2spk`` ``{utt: speaker}``; ``where`` names
    the table in errors."""
    if per_utterance < 1:
        raise InputError(f"need at least one trial per utterance, got {per_utterance}")
    utterances = sorted(utt2spk, key=c_order)
    speaker_of = [utt2spk[u] for u in utterances]
    members = {}
    for index, speaker in enumerate(speaker_of):
        members.setdefault(speaker, []).append(index)
    if len(members) < 2:
        raise InputError(f"trials need at least 2 speakers, the data have {len(members)}", where)
    if all(len(indices) < 2 for indices in members.values()):
        raise InputError("no speaker has two utterances, so the list would hold no target "
                         "trial", where)
    rng = np.random.default_rng(seed)
    chosen = set()       # (enroll index, test index), either direction listed once

    def free(a, b):
        return (a, b) not in chosen and (b, a) not in chosen

    for enroll, speaker in enumerate(speaker_of):
        same = [u for u in members[speaker] if u != enroll and free(enroll, u)]
        targets = [same[i] for i in rng.permutation(len(same))[:per_utterance]]
        nontargets = _draw_nontargets(rng, enroll, speaker_of, members[speaker],
                                      max(len(targets), 1), free)
        chosen.update((enroll, t) for t in targets)
        chosen.update((enroll, n) for n in nontargets)
    return [(utterances[a], utterances[b], speaker_of[a] == speaker_of[b])
            for a, b in sorted(chosen)]


def _draw_nontargets(rng, enroll, speaker_of, own_speaker_members, wanted, free):
    """Up to ``wanted`` distinct utterances of other speakers not yet paired with ``enroll``."""
    speaker = speaker_of[enroll]
    picked = []
    for _ in range(_REJECTION_TRIES):
        candidate = int(rng.integers(len(speaker_of)))
        if speaker_of[candidate] != speaker and candidate not in picked and free(enroll, candidate):
            picked.append(candidate)
            if len(picked) == wanted:
                return picked
    # Most draws were rejected (one speaker holds most of the data, or few pairs are
    # left): choose among all the candidates.
    own = set(own_speaker_members)
    others = [u for u in range(len(speaker_of)) if u not in own and u not in picked
              and free(enroll, u)]
    extra = [others[i] for i in rng.permutation(len(others))[:wanted - len(picked)]]
    return picked + extra
