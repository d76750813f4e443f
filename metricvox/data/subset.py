"""Subsets of a Kaldi data directory: by speaker list, utterance list, or the first N utterances."""

import logging

from metricvox.data.datadir import DataDir, refuse_writing_over_a_source, select_utterances, write_data_dir
from metricvox.data.tables import read_table
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


def subset_data_dir(src, dest, *, spk_list=None, utt_list=None, first=None):
    """Write to ``dest`` the part of data dir ``src`` chosen by exactly one of the three criteria.

    Returns the number of utterances written. Trials are not carried over.
    """
    if sum(x is not None for x in (spk_list, utt_list, first)) != 1:
        raise ValueError("give exactly one of spk_list, utt_list, first")
    refuse_writing_over_a_source(dest, [src])
    datadir = DataDir.load(src)
    utterances = datadir.utterances
    if spk_list is not None:
        speakers = _matching(_listed_ids(spk_list), set(datadir.utt2spk().values()), "speaker", spk_list)
        keep = {utt for utt, spk in datadir.utt2spk().items() if spk in speakers}
    elif utt_list is not None:
        keep = _matching(_listed_ids(utt_list), set(utterances), "utterance", utt_list)
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
