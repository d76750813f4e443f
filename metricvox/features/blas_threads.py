"""Feature computation runs numpy's BLAS on one thread.

The front end's matrix products (power spectrum @ mel filter bank, log mel @ DCT)
are small: a second BLAS thread gains nothing on them. Worse, OpenBLAS's idle
threads keep spinning on a core for a while after each product, and when a torch
model runs next in the same process (metricvox-extract on audio, training with
``input.source: wav``), torch's threads wait on that core in every parallel region:
at 2 torch threads on 2 cores extraction was 4 times slower than at 1
(bench/export_speed.py). A BLAS thread limit held only during feature computation
leaves every other BLAS user of the process as it was.
"""

import functools

from threadpoolctl import ThreadpoolController


@functools.lru_cache(maxsize=None)
def _controller():
    # Made on first use, when numpy (and so its BLAS) is surely loaded.
    return ThreadpoolController()


def single_threaded_blas():
    """A context manager: BLAS libraries limited to one thread inside it, restored after."""
    return _controller().limit(limits=1, user_api="blas")
