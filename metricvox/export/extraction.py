"""metricvox-extract with an exported model: one embedding per utterance of a wav table.

An exported graph holds the utterance mode only (see ``metricvox.export.extractor``),
and its front end takes audio, not features.
"""

import logging

from metricvox.data.audio import iter_audio
from metricvox.errors import InputError
from metricvox.nnet.extraction import INPUT_KINDS, looks_like_audio

log = logging.getLogger(__name__)

ONLY_UTTERANCE_MODE = ("an exported model does only utterance mode (one embedding per "
                       "utterance): drop --segment-seconds/--num-crops or give the checkpoint")


def extract_exported_embeddings(exported, rspecifier, writer, kind="auto", progress=iter):
    """Write the embedding of every utterance of the wav table ``rspecifier``; returns the count."""
    if kind not in INPUT_KINDS:
        raise InputError(f"unknown input kind {kind!r}; expected one of {', '.join(INPUT_KINDS)}")
    if kind == "feats" or (kind == "auto" and not looks_like_audio(rspecifier)):
        raise InputError(f"an exported model computes its features from audio: give a wav "
                         f"table (scp:wav.scp), not features", rspecifier)
    count = 0
    audio = iter_audio(rspecifier, sample_rate=exported.sample_rate)
    for key, samples, _rate in progress(audio):
        writer.write(key, exported.embed(samples, key))
        count += 1
    if count == 0:
        raise InputError("no utterance to embed", rspecifier)
    log.debug("embedded %d utterances with the exported %s", count, exported.path)
    return count
