"""Subsets of a Kaldi data directory: by speaker list, utterance list, the first N utterances, or
the N longest."""

import logging

from metricvox.data.datadir import DataDir, refuse_writing_over_a_source, select_utterances, write_data_dir
from metricvox.data.tables import c_order, read_table
from metricvox.errors import InputError

log = logging.getLogger(__name__)


def _listed_ids(path):
    # A list file: one id per line (further fields, as in an utt2spk given as list, are ignored).
    return [row.key for row in read_table(path, sorted_keys=False)]


def _matching(wanted, known, what, list_path):
    found = [x for x in wanted if x in known]
    missing = len(set(wanted)) - len(set(found))
    if missing:
        log.warning("%d of the %d %ss listed are not in the data dir", missing,
                    len(set(wanted)), what)
    if not found:
        raise InputError(f"none of the {what}s listed is in the data dir", list_path)
    return set(found)


def _lengths(datadir):
    """{utt: length} from utt2num_frames (frames) or else utt2dur (seconds), and the file read."""
    for name, kind in (("utt2num_frames", int), ("utt2dur", float)):
        if name in datadir.tables:
            path = datadir.file(name)
            lengths = {}
            for row in datadir.tables[name]:
                try:
                    value = kind(row.rest)
                except ValueError:
                    value = -1
                if not 0 < value < float("inf"):
                    raise InputError(f"length '{row.rest}' is not a positive "
                                     f"{'integer' if kind is int else 'number'}", path, row.line)
                lengths[row.key] = value
            return lengths, path
    raise InputError("--longest needs utt2num_frames or utt2dur (metricvox-get-utt2dur writes it)",
                     datadir.file("utt2dur"))


def longest_utterances(lengths, count):
    """The ``count`` longest utterances of {utt: length}; among equal lengths the first in C order."""
    ranked = sorted(lengths, key=lambda utt: (-lengths[utt], c_order(utt)))
    return set(ranked[:count])


def subset_data_dir(src, dest, *, spk_list=None, utt_list=None, first=None, longest=None):
    """Write to ``dest`` the part of data dir ``src`` chosen by exactly one of the four criteria.

    Returns the number of utterances written. Trials are not carried over.
    """
    if sum(x is not None for x in (spk_list, utt_list, first, longest)) != 1:
        raise ValueError("give exactly one of spk_list, utt_list, first, longest")
    refuse_writing_over_a_source(dest, [src])
    datadir = DataDir.load(src)
    utterances = datadir.utterances
    if spk_list is not None:
        speakers = _matching(_listed_ids(spk_list), set(datadir.utt2spk().values()), "speaker", spk_list)
        keep = {utt for utt, spk in datadir.utt2spk().items() if spk in speakers}
    elif utt_list is not None:
        keep = _matching(_listed_ids(utt_list), set(utterances), "utterance", utt_list)
    elif longest is not None:
        lengths, path = _lengths(datadir)
        missing = [utt for utt in utterances if utt not in lengths]
        if missing:
            raise InputError(f"no length for utterance '{missing[0]}' ({len(missing)} missing)", path)
        if longest <= 0:
            raise InputError(f"--longest must be positive, got {longest}")
        if longest > len(utterances):
            raise InputError(f"asked for the {longest} longest utterances but there are only "
                             f"{len(utterances)}", datadir.file("utt2spk"))
        keep = longest_utterances({utt: lengths[utt] for utt in utterances}, longest)
    else:
        if first <= 0:
            raise InputError(f"--first must be positive, got {first}")
        if first > len(utterances):
            raise InputError(f"asked for the first {first} utterances but there are only {len(utterances)}",
                             datadir.file("utt2spk"))
        keep = set(utterances[:first])
    write_data_dir(select_utterances(datadir, keep), dest)
    log.info("wrote %d of %d utterances to %s", len(keep), len(utterances), dest)
    return len(keep)
