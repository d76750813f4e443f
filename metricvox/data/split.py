"""Split a Kaldi data directory into N parts, laid out as Kaldi's split_data.sh: DIR/splitN/1..N."""

import bisect
import logging
import os

from metricvox.data.datadir import DataDir, select_utterances, write_data_dir
from metricvox.data.tables import c_order
from metricvox.errors import InputError
from metricvox.io.atomic import output_dir

log = logging.getLogger(__name__)


def contiguous_parts(weights, n):
    """Cut ``weights`` (in order) into ``n`` non-empty contiguous runs of near-equal total weight.

    Returns the n+1 boundaries. Each boundary is put where the running total is
    closest to its share of the whole, leaving at least one item for every later part.
    """
    count = len(weights)
    cumulative = [0]
    for weight in weights:
        cumulative.append(cumulative[-1] + weight)
    total = cumulative[-1]
    bounds = [0]
    for part in range(1, n):
        target = total * part / n
        lowest, highest = bounds[-1] + 1, count - (n - part)
        above = min(max(bisect.bisect_left(cumulative, target), lowest), highest)
        below = max(above - 1, lowest)
        bounds.append(below if target - cumulative[below] <= cumulative[above] - target else above)
    bounds.append(count)
    return bounds


def split_data_dir(path, n, *, per_spk=False):
    """Write parts ``path/split{n}/1`` .. ``n``; returns their paths.

    By utterance (default): part sizes differ by at most one. ``per_spk``: every
    speaker's utterances stay in one part, parts balanced by utterance count.
    """
    datadir = DataDir.load(path)
    utt2spk = datadir.utt2spk()
    if per_spk:
        groups = {}
        for utt in datadir.utterances:
            groups.setdefault(utt2spk[utt], []).append(utt)
        units = [groups[spk] for spk in sorted(groups, key=c_order)]
        what = "speakers"
    else:
        units = [[utt] for utt in datadir.utterances]
        what = "utterances"
    if n < 1 or n > len(units):
        raise InputError(f"cannot split {len(units)} {what} into {n} non-empty parts", path)
    bounds = contiguous_parts([len(unit) for unit in units], n)
    parts = []
    with output_dir(os.path.join(str(path), f"split{n}")):   # never a split dir with some parts only
        for index in range(n):
            keep = {utt for unit in units[bounds[index]:bounds[index + 1]] for utt in unit}
            part = os.path.join(str(path), f"split{n}", str(index + 1))
            write_data_dir(select_utterances(datadir, keep), part)
            parts.append(part)
    log.info("split %d utterances of %s into %d parts by %s", len(utt2spk), path, n,
             "speaker" if per_spk else "utterance")
    return parts
