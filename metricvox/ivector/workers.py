"""Run a job over a stream of batches in J worker processes, results in input order.

The main process reads the input (which may be a pipe or stdin, so it cannot be
split up front) and hands batches to the workers; at most ``2 * nj`` batches are in
flight, so a large input is never read ahead into memory. The job (e.g. a UBM
aligner, or an i-vector extractor) is sent to each worker once, when it starts.
Each worker does its linear algebra on one thread (BLAS and torch read the thread
variables set here when they load in the worker): J processes use J cores.
"""

import collections
import contextlib
import multiprocessing
import os

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_job = None


def _install(job):
    global _job
    _job = job


def _run(batch):
    return _job(batch)


@contextlib.contextmanager
def _single_threaded_children():
    """Environment variables that workers started now read when their BLAS loads."""
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    os.environ.update({name: "1" for name in _THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def ordered_map(job, batches, nj=1):
    """Yield ``job(batch)`` for every batch, in order; in ``nj`` processes when nj > 1."""
    if nj <= 1:
        for batch in batches:
            yield job(batch)
        return
    # spawn, not fork: the parent may already run BLAS or OpenMP thread pools.
    context = multiprocessing.get_context("spawn")
    with _single_threaded_children():
        pool = context.Pool(nj, initializer=_install, initargs=(job,))
    try:
        pending = collections.deque()
        for batch in batches:
            pending.append(pool.apply_async(_run, (batch,)))
            if len(pending) >= 2 * nj:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
        pool.close()
    finally:
        pool.terminate()
        pool.join()
