"""Per-utterance extractor-training statistics kept in files, one batch in memory at a time.

The first-order statistics are C x D numbers per utterance (1024 x 60 float32: 246 KB), so
100,000 utterances hold 25 GB: more than a machine's memory, where the files cost only disk
(and page cache) and each EM iteration reads them back in turn.
"""

import os

import numpy as np

from metricvox.ivector.stats import BatchStats


class SpilledBatches:
    """An iterable of :class:`BatchStats` written under ``directory`` as they are added."""

    def __init__(self, directory):
        self.directory = str(directory)
        self.num_batches = 0
        self.num_utterances = 0
        self.nbytes = 0

    def append(self, batch):
        path = os.path.join(self.directory, f"batch{self.num_batches}.npz")
        with open(path, "wb") as stream:
            np.savez(stream, keys=np.array(batch.keys), zeroth=batch.zeroth, first=batch.first)
        self.num_batches += 1
        self.num_utterances += len(batch)
        self.nbytes += batch.zeroth.nbytes + batch.first.nbytes

    def __iter__(self):
        for number in range(self.num_batches):
            with np.load(os.path.join(self.directory, f"batch{number}.npz")) as saved:
                yield BatchStats(saved["keys"].tolist(), saved["zeroth"], saved["first"])
