"""Speaker-labelled training vectors: the input of every supervised back-end stage.

LDA, WCCN and PLDA learn from vectors grouped by speaker. The labels come from a
Kaldi ``utt2spk`` (``utt spk``) or ``spk2utt`` (``spk utt1 utt2 ...``) table; the
join with the vector table is reported Kaldi style: vectors without a label and
labelled utterances without a vector are counted on the log, and it is an error
only when nothing at all matches. A speaker with a single utterance says nothing
about within-speaker variability, so it is left out (and counted); having no
speaker with two or more utterances is an error.
"""

import logging

import numpy as np

from metricvox.data.tables import read_table
from metricvox.errors import InputError
from metricvox.io import read_matrices

log = logging.getLogger(__name__)


def read_speaker_labels(utt2spk=None, spk2utt=None):
    """``{utt: spk}`` from exactly one of an utt2spk or a spk2utt file."""
    if (utt2spk is None) == (spk2utt is None):
        raise InputError("give speaker labels as either an utt2spk or a spk2utt file")
    if utt2spk is not None:
        return {row.key: row.rest for row in read_table(utt2spk, min_fields=2, max_fields=2)}
    labels = {}
    for row in read_table(spk2utt, min_fields=2):
        for utt in row.fields:
            if utt in labels:
                raise InputError(f"utterance '{utt}' is listed for both '{labels[utt]}' and "
                                 f"'{row.key}'", spk2utt, row.line)
            labels[utt] = row.key
    return labels


def read_training_vectors(rspecifier):
    """``{utt: (D,) float64}`` from a table of one vector per utterance, checked.

    A (1, D) matrix counts as a vector; a crop set of several rows, a NaN or an
    infinite value, and vectors of different dimensions are errors naming the key.
    """
    vectors = {}
    dim = None
    for key, array in read_matrices(rspecifier):
        array = np.asarray(array, dtype=np.float64)
        if array.ndim == 2 and array.shape[0] == 1:
            array = array[0]
        if array.ndim != 1 or array.size == 0:
            raise InputError(f"'{key}' has shape {array.shape}; back-end training needs one "
                             "vector per utterance (average crop sets first)", rspecifier)
        if not np.isfinite(array).all():
            raise InputError(f"'{key}' has NaN or infinite values", rspecifier)
        if dim is None:
            dim = array.size
        elif array.size != dim:
            raise InputError(f"'{key}' has dimension {array.size}, earlier vectors {dim}",
                             rspecifier)
        if key in vectors:
            raise InputError(f"key '{key}' appears twice in the table", rspecifier)
        vectors[key] = array
    if not vectors:
        raise InputError("no vectors in the table", rspecifier)
    return vectors


def group_by_speaker(vectors, labels, where=None):
    """``(speakers, groups)``: speaker ids (C order) and one (n_s, D) array each, n_s >= 2.

    ``where`` names the vector table in errors.
    """
    by_speaker = {}
    unlabelled = []
    for utt, vector in vectors.items():
        spk = labels.get(utt)
        if spk is None:
            unlabelled.append(utt)
        else:
            by_speaker.setdefault(spk, []).append(vector)
    if unlabelled:
        log.warning("%d of %d vectors have no speaker label and are not used (first: '%s')",
                    len(unlabelled), len(vectors), unlabelled[0])
    if not by_speaker:
        raise InputError(f"none of the {len(vectors)} vectors has a speaker label "
                         f"(first key: '{next(iter(vectors))}')", where)
    absent = len(labels) - (len(vectors) - len(unlabelled))
    if absent:
        log.warning("%d labelled utterances have no vector", absent)
    singletons = [spk for spk, members in by_speaker.items() if len(members) == 1]
    if singletons:
        log.warning("%d of %d speakers have a single utterance and are left out (first: '%s')",
                    len(singletons), len(by_speaker), singletons[0])
    speakers = sorted((spk for spk, members in by_speaker.items() if len(members) >= 2),
                      key=lambda s: s.encode("utf-8"))
    if not speakers:
        raise InputError(f"no speaker has two or more utterances among the {len(by_speaker)} "
                         "labelled speakers; within-speaker variability cannot be learned", where)
    if len(speakers) < 2:
        raise InputError(f"only one speaker ('{speakers[0]}') has two or more utterances; "
                         "between-speaker variability needs at least two", where)
    groups = [np.stack(by_speaker[spk]) for spk in speakers]
    log.info("training on %d speakers, %d utterances", len(groups), sum(len(g) for g in groups))
    return speakers, groups
