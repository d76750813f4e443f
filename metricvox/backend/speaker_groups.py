"""Speaker-labelled training vectors: the input of every supervised back-end stage.

LDA, WCCN and PLDA learn from vectors grouped by speaker. The labels come from a
Kaldi ``utt2spk`` (``utt spk``) or ``spk2utt`` (``spk utt1 utt2 ...``) table; the
join with the vector table is reported Kaldi style: vectors without a label and
labelled utterances without a vector are counted on the log, and it is an error
only when nothing at all matches. A speaker with a single utterance says nothing
about within-speaker variability, so it is left out (and counted); having no
speaker with two or more utterances is an error.

A table in a file can also be read as a :class:`LabelledVectorTable`, which holds no
vector: every back-end stage reads it once more for its :class:`SpeakerStats`.
"""

import logging

import numpy as np

from metricvox.backend.speaker_stats import SpeakerStats, SpeakerStatsAccumulator
from metricvox.data.tables import read_table
from metricvox.errors import InputError
from metricvox.io import parse_rspecifier, read_matrices
from metricvox.io.pipes import is_pipe

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
    """``{utt: (D,) float64}`` from a table of one vector per utterance, checked (see
    :func:`checked_vectors`)."""
    return dict(checked_vectors(rspecifier))


def checked_vectors(rspecifier):
    """Yield ``(utt, (D,) float64)`` from a table of one vector per utterance, checked.

    A (1, D) matrix counts as a vector; a crop set of several rows, a NaN or an
    infinite value, vectors of different dimensions and a key seen twice are errors
    naming the key; an empty table is an error.
    """
    seen = set()
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
        if key in seen:
            raise InputError(f"key '{key}' appears twice in the table", rspecifier)
        seen.add(key)
        yield key, array
    if not seen:
        raise InputError("no vectors in the table", rspecifier)


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
    speakers = _kept_speakers({spk: len(members) for spk, members in by_speaker.items()},
                              len(vectors), unlabelled, next(iter(vectors)), len(labels), where)
    return speakers, [np.stack(by_speaker[spk]) for spk in speakers]


def _kept_speakers(counts, num_vectors, unlabelled, first_key, num_labels, where):
    """The speakers (sorted) with two or more vectors, of ``counts`` {speaker: vectors}; the
    join with the labels logged (``unlabelled``: the keys without a label), Kaldi style."""
    if unlabelled:
        log.warning("%d of %d vectors have no speaker label and are not used (first: '%s')",
                    len(unlabelled), num_vectors, unlabelled[0])
    if not counts:
        raise InputError(f"none of the {num_vectors} vectors has a speaker label "
                         f"(first key: '{first_key}')", where)
    absent = num_labels - (num_vectors - len(unlabelled))
    if absent:
        log.warning("%d labelled utterances have no vector", absent)
    singletons = [spk for spk, count in counts.items() if count == 1]
    if singletons:
        log.warning("%d of %d speakers have a single utterance and are left out (first: '%s')",
                    len(singletons), len(counts), singletons[0])
    speakers = sorted((spk for spk, count in counts.items() if count >= 2),
                      key=lambda s: s.encode("utf-8"))
    if not speakers:
        raise InputError(f"no speaker has two or more utterances among the {len(counts)} "
                         "labelled speakers; within-speaker variability cannot be learned", where)
    if len(speakers) < 2:
        raise InputError(f"only one speaker ('{speakers[0]}') has two or more utterances; "
                         "between-speaker variability needs at least two", where)
    log.info("training on %d speakers, %d utterances", len(speakers),
             sum(counts[spk] for spk in speakers))
    return speakers


def is_rereadable(rspecifier):
    """True if the table can be read more than once (not stdin, not a pipe)."""
    path = parse_rspecifier(rspecifier).path
    return path != "-" and not is_pipe(path)


class SpeakerGroups:
    """Speaker groups in memory, a list of (n_s, D) arrays, as a source of SpeakerStats."""

    def __init__(self, groups):
        self.groups = groups

    def speaker_stats(self, transform=None):
        """The SpeakerStats of the groups, each passed through ``transform`` ((n, D) rows to
        rows) if given."""
        return SpeakerStats.of_groups(
            [group if transform is None else transform(group) for group in self.groups])


class LabelledVectorTable:
    """A vector table joined with speaker labels, as a source of SpeakerStats: read anew by
    every :meth:`speaker_stats`, never held in memory (so it must be re-readable)."""

    #: Vectors transformed and accumulated together.
    BATCH = 4096

    def __init__(self, rspecifier, labels):
        self.rspecifier = rspecifier
        self.labels = labels
        self.speakers = None        # the kept speakers, known after the first reading
        self._index = {}            # speaker -> accumulator index, in order of appearance
        self._counts = None         # vectors per accumulator index

    def speaker_stats(self, transform=None):
        """The SpeakerStats of the kept speakers (as :func:`group_by_speaker` keeps them),
        every vector passed through ``transform`` ((n, D) rows to rows) if given."""
        first_reading = self.speakers is None
        inverse_counts = None if first_reading else 1.0 / np.maximum(self._counts, 1)
        accumulator = None
        unlabelled, num_vectors, first_key = [], 0, None
        speakers, rows = [], []
        for key, vector in checked_vectors(self.rspecifier):
            num_vectors += 1
            first_key = key if first_key is None else first_key
            spk = self.labels.get(key)
            if spk is None:
                unlabelled.append(key)
                continue
            speakers.append(self._index.setdefault(spk, len(self._index)))
            rows.append(vector)
            if len(rows) == self.BATCH:
                accumulator = self._add(accumulator, speakers, rows, transform, inverse_counts)
                speakers, rows = [], []
        accumulator = self._add(accumulator, speakers, rows, transform, inverse_counts)
        counts = accumulator.counts[:len(self._index)] if accumulator else np.zeros(0, int)
        if first_reading:
            self._counts = counts
            names = list(self._index)
            self.speakers = _kept_speakers(dict(zip(names, counts.tolist())), num_vectors,
                                           unlabelled, first_key, len(self.labels),
                                           self.rspecifier)
        elif not np.array_equal(counts, self._counts):
            raise InputError("the table changed while it was read", self.rspecifier)
        return accumulator.result([self._index[spk] for spk in self.speakers])

    @staticmethod
    def _add(accumulator, speakers, rows, transform, inverse_counts):
        if not rows:
            return accumulator
        rows = np.stack(rows)
        if transform is not None:
            rows = transform(rows)
        if accumulator is None:
            accumulator = SpeakerStatsAccumulator(rows.shape[1], inverse_counts)
        accumulator.add(speakers, rows)
        return accumulator
