"""Training the class GMMs of the MFCC + GMM baseline (:mod:`metricvox.classify.class_gmm`).

Each class's GMM (32 diagonal components in the paper) is trained by maximum
likelihood EM on the frames of that class's training files, with the UBM trainer
of :mod:`metricvox.gmm.ubm_training` (initialisation, splitting up to the
mixture size, then EM over all the frames; ``--nj`` jobs). One class's frames
are held in memory while it trains, so the table is read once per class.
"""

import logging

from metricvox.classify.labelled_frames import labelled_utterances
from metricvox.gmm.ubm_training import train_ubm

log = logging.getLogger(__name__)


class _ClassFrames:
    """One class's (utt, frames) in memory, shaped like the FeatureFrames train_ubm reads."""

    def __init__(self, utterances, source):
        self.utterances = utterances
        self.rspecifier = source.rspecifier
        self.subsample = source.subsample

    def __iter__(self):
        return iter(self.utterances)


def train_class_gmms(frames, labels, options, jobs, seed=0, device="cpu"):
    """{class: Gmm}, one per class of ``labels`` (UttLabels), trained on its utterances of
    ``frames`` (a FeatureFrames) with the UbmOptions ``options`` and StatsJobs ``jobs``."""
    options.check()
    models = {}
    for index, name in enumerate(labels.classes):
        utterances = [(utt, matrix) for utt, _label, matrix in
                      labelled_utterances(frames, labels, only_class=name,
                                          report_counts=index == 0)]
        num_frames = sum(matrix.shape[0] for _utt, matrix in utterances)
        if num_frames < options.num_components:
            first = labels.utts_of(name)[0]
            raise labels.error(first, f"class '{name}' has {num_frames} frames with features "
                                      f"(in {len(utterances)} utterances), fewer than the "
                                      f"{options.num_components} components of its GMM")
        log.info("class '%s': %d utterances, %d frames", name, len(utterances), num_frames)
        models[name], _history = train_ubm(_ClassFrames(utterances, frames), options, jobs,
                                           seed=seed, device=device)
    return models
