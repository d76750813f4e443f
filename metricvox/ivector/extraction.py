"""i-vectors of every utterance of a feature table, in J worker processes if asked."""

from metricvox.ivector.stats import feature_batches
from metricvox.worker_pool import ordered_map


class IvectorJob:
    """What a worker does with one feature batch: align to the UBM, then the posterior means."""

    def __init__(self, extractor):
        self.extractor = extractor

    def __call__(self, batch):
        keys, utterances = batch
        stats, _ = self.extractor.aligner.batch_stats(keys, utterances)
        return keys, self.extractor.extract(stats)


def extract_ivectors(extractor, rspecifier, nj=1):
    """Yield ``(key, i-vector)`` for every utterance with frames, in table order."""
    batches = feature_batches(rspecifier, extractor.feat_dim)
    for keys, ivectors in ordered_map(IvectorJob(extractor), batches, nj):
        yield from zip(keys, ivectors)
