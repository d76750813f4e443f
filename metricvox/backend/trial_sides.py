"""The two sides of verification trials, prepared once, in arrays that score in blocks.

A trial's enrollment side is a model: one utterance or, through an enrollment map
(``model utt1 utt2 ...``, like spk2utt), several; its test side is one utterance.
Every utterance a side needs goes through the back end's ``prepare`` once, many
stacked in each call. A side is made of parts, each a set of prepared rows
(an utterance's crops, or one centroid) averaging ``num_utts`` utterances; how the
utterances of a model become parts is the enrollment averaging:

- ``embedding``: one part, the centroid (mean) of all its prepared rows, an
  average of n utterances (the singer paper's prototype; PLDA uses the count);
- ``score``: one part per utterance, whose scores are averaged.

A single utterance keeps its crops as one part, so K x K multi-crop scoring stays
the mean over all crop pairs. Sides, parts and rows are flat arrays with offsets
(:class:`Sides`), which trial scoring and score normalisation walk in blocks.
"""

import logging
from dataclasses import dataclass

import numpy as np

from metricvox.errors import InputError

log = logging.getLogger(__name__)

AVERAGING = ("embedding", "score")
PREPARE_ROWS = 16384   # rows through the back end's preparation at once


@dataclass
class Sides:
    """Trial sides by name. Side s has parts ``side_parts[s]:side_parts[s + 1]``; part p
    has the slots ``part_slots[p]:part_slots[p + 1]``, slot i holding ``rows[row_of_slot[i]]``
    (a slot per row, so utterances shared by sides are stored once)."""

    names: list
    index: dict              # name -> side number
    rows: np.ndarray         # (R, D) prepared rows
    row_of_slot: np.ndarray
    part_slots: np.ndarray   # (P + 1,) offsets
    part_utts: np.ndarray    # (P,) utterances each part averages
    side_parts: np.ndarray   # (S + 1,) offsets

    @property
    def width(self):
        return self.rows.shape[1]

    def slots_per_side(self):
        return self.part_slots[self.side_parts[1:]] - self.part_slots[self.side_parts[:-1]]


@dataclass
class PreparedUtterances:
    """Utterances' prepared rows, stacked: utterance i (``keys[i]``) has
    ``rows[offsets[i]:offsets[i + 1]]``."""

    keys: list
    index: dict
    rows: np.ndarray
    offsets: np.ndarray


def prepare_utterances(table, keys, scorer, where=None):
    """The rows of ``keys`` (all in ``table``) through ``scorer.prepare``, many at a time.

    An entry that is not a vector or a (crops x dims) matrix, non-finite values and
    entries of different dimensions are InputErrors naming the entry (and ``where``).
    """
    keys = list(keys)
    arrays, counts = [], np.empty(len(keys), dtype=np.int64)
    for i, key in enumerate(keys):
        array = np.asarray(table[key])
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2 or 0 in array.shape:
            raise InputError(f"embedding of '{key}' has shape {np.shape(table[key])}; expected a "
                             "vector or a (crops x dims) matrix", where)
        if arrays and array.shape[1] != arrays[0].shape[1]:
            raise InputError(f"embeddings differ in dimension: '{key}' has {array.shape[1]}, "
                             f"'{keys[0]}' has {arrays[0].shape[1]}", where)
        arrays.append(array)
        counts[i] = array.shape[0]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    if not keys:
        return PreparedUtterances(keys, {}, np.zeros((0, 0)), offsets)
    prepared = None
    for start, stop in blocks(counts, PREPARE_ROWS):
        rows = np.concatenate(arrays[start:stop], dtype=np.float64)
        finite = np.isfinite(rows).all(axis=1)
        if not finite.all():
            within = offsets[start:stop + 1] - offsets[start]
            bad = keys[start + int(np.searchsorted(within, np.argmin(finite), side="right")) - 1]
            raise InputError(f"embedding of '{bad}' has NaN or infinite values", where)
        rows = scorer.prepare(rows, keys[start])
        if prepared is None:
            prepared = np.empty((offsets[-1], rows.shape[1]))
        prepared[offsets[start]:offsets[stop]] = rows
    return PreparedUtterances(keys, {key: i for i, key in enumerate(keys)}, prepared, offsets)


def build_sides(members, utterances, average="embedding"):
    """:class:`Sides` of ``members`` ({side name: [utterance, ...]}) from prepared ``utterances``.

    A side none of whose utterances were prepared is left out; a model missing some of
    its several utterances is built from the others, and logged.
    """
    if average not in AVERAGING:
        raise InputError(f"unknown averaging {average!r}; choose from {', '.join(AVERAGING)}")
    offsets, index = utterances.offsets, utterances.index
    names, slots, part_slots, part_utts, side_parts, centroids = [], [], [0], [], [0], []
    for name, utts in members.items():
        present = [index[u] for u in utts if u in index]
        if len(present) < len(utts) and len(utts) > 1:
            log.warning("enrollment '%s': %d of its %d utterances have no embedding", name,
                        len(utts) - len(present), len(utts))
        if not present:
            continue
        if len(present) > 1 and average == "embedding":
            rows = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in present])
            centroids.append(utterances.rows[rows].mean(axis=0))
            slots.append(len(utterances.rows) + len(centroids) - 1)
            part_slots.append(len(slots))
            part_utts.append(len(present))
        else:
            for i in present:
                slots.extend(range(offsets[i], offsets[i + 1]))
                part_slots.append(len(slots))
                part_utts.append(1)
        names.append(name)
        side_parts.append(len(part_utts))
    rows = utterances.rows if not centroids else np.concatenate([utterances.rows, centroids])
    return Sides(names, {name: i for i, name in enumerate(names)}, rows,
                 np.array(slots, dtype=np.int64), np.array(part_slots, dtype=np.int64),
                 np.array(part_utts, dtype=np.int64), np.array(side_parts, dtype=np.int64))


def prepare_sides(enroll_ids, enroll_table, test_ids, test_table, scorer, *, enroll_map=None,
                  average="embedding", where=None):
    """``(enrollment sides, test sides)`` of the named models and test utterances.

    Without ``enroll_map`` an enrollment side is the utterance of its name. One table
    serving both sides has each utterance prepared once; without a map the two sides are
    then one and the same :class:`Sides` (an utterance scores alike on either side).
    """
    if enroll_map is None:
        members = {e: [e] for e in enroll_ids}
    else:
        members = {e: enroll_map[e] for e in enroll_ids if e in enroll_map}
    enroll_keys = dict.fromkeys(u for utts in members.values() for u in utts if u in enroll_table)
    test_keys = dict.fromkeys(t for t in test_ids if t in test_table)
    if enroll_table is test_table:
        utterances = prepare_utterances(enroll_table, {**enroll_keys, **test_keys}, scorer, where)
        if enroll_map is None:
            sides = build_sides({u: [u] for u in utterances.keys}, utterances)
            return sides, sides
        enroll_utterances = test_utterances = utterances
    else:
        enroll_utterances = prepare_utterances(enroll_table, enroll_keys, scorer, where)
        test_utterances = prepare_utterances(test_table, test_keys, scorer, where)
        widths = enroll_utterances.rows.shape[1], test_utterances.rows.shape[1]
        if enroll_keys and test_keys and widths[0] != widths[1]:
            raise InputError(f"embeddings differ in dimension: enrollment '{enroll_utterances.keys[0]}' "
                             f"has {widths[0]}, test '{test_utterances.keys[0]}' has {widths[1]}", where)
    return (build_sides(members, enroll_utterances, average),
            build_sides({t: [t] for t in test_keys}, test_utterances))


def num_utts_argument(num_utts):
    """Per-row utterance counts as a back end takes them: one number if they are all equal."""
    return int(num_utts[0]) if num_utts.size and (num_utts == num_utts[0]).all() else num_utts


def expand(counts):
    """``(owner, within)`` of every slot when item i owns ``counts[i]`` consecutive slots."""
    owner = np.repeat(np.arange(counts.size), counts)
    first = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - first[owner]


def blocks(sizes, limit):
    """``(start, stop)`` ranges of consecutive items whose sizes add up to at most ``limit``
    (or a single item larger than it)."""
    ends = np.cumsum(sizes)
    start = 0
    while start < len(sizes):
        base = ends[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, base + limit, side="right")))
        yield start, stop
        start = stop
