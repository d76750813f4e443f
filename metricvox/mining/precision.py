"""How good an unsupervised selection is, judged against speaker labels it never saw.

Precision of the clients: the fraction of client pairs whose two utterances
share a speaker. Precision of the impostors: the fraction of impostor pairs
whose utterances have different speakers. Only reported: the labels play no
part in the selection.
"""

from dataclasses import dataclass

from metricvox.errors import InputError


@dataclass
class MiningPrecision:
    clients_correct: int
    clients_judged: int
    impostors_correct: int
    impostors_judged: int
    pairs_unlabelled: int

    @staticmethod
    def _ratio(correct, judged):
        return correct / judged if judged else float("nan")

    @property
    def client_precision(self):
        return self._ratio(self.clients_correct, self.clients_judged)

    @property
    def impostor_precision(self):
        return self._ratio(self.impostors_correct, self.impostors_judged)


def mining_precision(pairs, utt2spk, where=None):
    """A :class:`MiningPrecision` for ``[(anchor, other, is_client)]`` and ``{utt: speaker}``.

    Pairs with an utterance missing from ``utt2spk`` are counted apart; when no
    pair at all is labelled, it is an InputError naming ``where`` (the utt2spk file).
    """
    counts = {True: [0, 0], False: [0, 0]}  # is_client -> [correct, judged]
    unlabelled = 0
    for anchor, other, is_client in pairs:
        if anchor not in utt2spk or other not in utt2spk:
            unlabelled += 1
            continue
        same = utt2spk[anchor] == utt2spk[other]
        counts[is_client][0] += same == is_client
        counts[is_client][1] += 1
    if pairs and unlabelled == len(pairs):
        raise InputError(f"none of the {len(pairs)} mined pairs has both utterances in this file",
                         where)
    return MiningPrecision(*counts[True], *counts[False], unlabelled)
