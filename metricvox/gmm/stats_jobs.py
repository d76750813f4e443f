"""E-step statistics of an utterance stream over ``--nj`` parallel jobs.

The utterances are grouped, in stream order, into chunks of about ``CHUNK_FRAMES``
frames; the statistics of each chunk are accumulated on their own (in a worker
process of :mod:`metricvox.worker_pool`, or here when nj is 1) and summed here in
stream order. The chunks do not depend on nj, so neither do the statistics, nor the
model trained from them (beyond what the thread count of the linear algebra may change
in the last bits). The reading
stays in this process, so any rspecifier works (stdin, pipes, scps). The workers
live across EM iterations; each iteration sends them its model once.
"""

from metricvox.gmm.estep import StatsAccumulator
from metricvox.worker_pool import WorkerPool

# Large enough that a chunk's statistics (C x D^2 numbers for a full model) cost far
# less to send back than its E-step costs to compute.
CHUNK_FRAMES = 1 << 16


class ChunkStats:
    """The statistics of a chunk (a list of frame matrices) under ``model``: a worker's job."""

    def __init__(self, model, second_order, device):
        self.model = model
        self.second_order = second_order
        self.device = device

    def __call__(self, chunk):
        accumulator = StatsAccumulator(self.model, self.second_order, self.device)
        for frames in chunk:
            accumulator.add(frames)
        return accumulator.stats()


def frame_chunks(utterances):
    """The frame matrices of ``utterances`` ((key, frames) pairs) in lists of about
    CHUNK_FRAMES frames; an utterance is never split."""
    chunk, size = [], 0
    for _key, frames in utterances:
        if chunk and size + len(frames) > CHUNK_FRAMES:
            yield chunk
            chunk, size = [], 0
        chunk.append(frames)
        size += len(frames)
    if chunk:
        yield chunk


class StatsJobs:
    """Accumulates GMM statistics of an utterance stream over ``nj`` jobs; a context manager."""

    def __init__(self, nj=1, device="cpu"):
        self.device = device
        self._pool = WorkerPool(nj)

    def accumulate(self, model, utterances, second_order="diag"):
        """The summed statistics of the frames of ``utterances`` ((key, frames) pairs)."""
        job = ChunkStats(model, second_order, self.device)
        total = job([])
        for stats in self._pool.map(job, frame_chunks(utterances)):
            total = total + stats
        return total

    def close(self):
        self._pool.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._pool.__exit__(*exc)
