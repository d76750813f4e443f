"""Per-utterance extractor-training statistics kept in files, one batch in memory at a time.

The first-order statistics are C x D numbers per utterance (1024 x 60 float32: 246 KB), so
100,000 utterances hold 25 GB: more than a machine's memory, where the files cost only disk
(and page cache) and each EM iteration reads them back in turn.
"""

import contextlib
import os
import tempfile

import numpy as np

from metricvox.errors import InputError
from metricvox.io.atomic import write_failure
from metricvox.ivector.stats import BatchStats


@contextlib.contextmanager
def spilled_beside(output):
    """SpilledBatches in a temporary directory beside ``output``, removed on leaving; a
    directory that cannot be made or written (missing, read-only, full) is an InputError
    naming ``output``."""
    try:
        directory = tempfile.TemporaryDirectory(prefix=".stats.",
                                                dir=os.path.dirname(output) or ".")
    except OSError as error:
        raise InputError(f"cannot write: {error.strerror}", output) from None
    with directory:
        try:
            yield SpilledBatches(directory.name)
        except OSError as error:
            failure = write_failure(error, output)
            if failure is None:
                raise
            raise failure from None


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
