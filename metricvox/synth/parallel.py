"""Running the independent pieces of a synthetic corpus in several processes.

Every speaker, singer or recording of a stand-in corpus draws from its own seeded
random stream (:mod:`metricvox.synth.seeding`), so the pieces can be rendered in
any order by any number of processes and the corpus stays byte-identical; only the
wall-clock time changes.
"""
import multiprocessing

from metricvox.progress import progress


def in_processes(function, items, nj=1, desc=None, unit="it"):
    """``[function(item) for item in items]``, computed by ``nj`` processes, in item order."""
    items = list(items)
    if nj <= 1 or len(items) <= 1:
        return [function(item) for item in progress(items, desc=desc, unit=unit)]
    # fork keeps start-up cheap and needs nothing pickled but the items and results.
    with multiprocessing.get_context("fork").Pool(min(nj, len(items))) as pool:
        return list(progress(pool.imap(function, items), desc=desc, total=len(items), unit=unit))
