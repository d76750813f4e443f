"""``job(item)`` for every item of a stream, in ``nj`` worker processes, results in input order.

Every parallel loop of metricvox runs through :class:`WorkerPool` (or its one-shot
form :func:`ordered_map`):

- ``nj == 1``, or a list of a single item, runs in this process: no worker, no pickling.
- The items are read lazily (they may come from stdin) and handed to whichever worker is
  free; at most ``2 * nj`` items are in flight or waiting for an earlier one, so a large
  input is never read far ahead into memory. Results come back in input order, so
  whatever the job computes from its item alone (seeded per item) is the same for any nj.
- The job (an aligner, an extractor, a model...) is sent to a worker once per
  :meth:`WorkerPool.map`, with that worker's first item, not with every item. A pool
  kept open serves several maps (EM iterations) with the same workers.
- An exception raised by the job in a worker is raised again here as the same exception
  (an :class:`InputError` keeps its message, file and line), with the worker's traceback
  as its cause. A worker that dies (killed, ``os._exit``, out of memory) is a
  :class:`WorkerDied` error, never a hang.
- Workers start from a clean server process (``forkserver``; ``spawn`` where there is
  none), never forked from this one: forking a process that already runs torch or BLAS
  thread pools is unsafe, and a worker must not inherit the tool's SIGTERM handler
  (:mod:`metricvox.cli`). Ctrl-C and SIGTERM are this process's to handle: workers
  ignore SIGINT and die at once on SIGTERM (the default action, with no window in
  which the signal is lost), and are ended when the map or the pool is left by an
  exception.
- Each worker's BLAS and torch get ``cores // nj`` threads, so nj workers share the cores.
"""

import atexit
import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
import pickle
import signal
import sys
import traceback
from multiprocessing.connection import wait

# Items in flight or finished but waiting for an earlier one, per worker.
_WINDOW_PER_WORKER = 2
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_STOP_SECONDS = 10


class WorkerDied(RuntimeError):
    """A worker process ended while it still had work (its exit code says how)."""


class WorkerTraceback(Exception):
    """The traceback of an exception raised in a worker, attached as that exception's cause."""


def ordered_map(job, items, nj=1):
    """Yield ``job(item)`` for every item, in order; in ``nj`` processes when nj > 1."""
    with WorkerPool(nj) as pool:
        yield from pool.map(job, items)


class WorkerPool:
    """Up to ``nj`` worker processes, started as items arrive; a context manager."""

    def __init__(self, nj=1):
        if nj < 1:
            raise ValueError(f"nj must be at least 1, got {nj}")
        self.nj = nj
        self._workers = []

    def map(self, job, items):
        """Yield ``job(item)`` for every item of ``items``, in order (see the module docstring)."""
        nj = min(self.nj, len(items)) if hasattr(items, "__len__") else self.nj
        if nj <= 1:
            for item in items:
                yield job(item)
            return
        job_payload = pickle.dumps(job)   # here, once: an unpicklable job fails in this process
        for worker in self._workers:
            worker.job_sent = False
        finished, next_out, count = {}, 0, 0
        try:
            for index, item in enumerate(items):
                count = index + 1
                while True:
                    while next_out in finished:
                        yield _unpack(finished.pop(next_out))
                        next_out += 1
                    worker = self._free_worker(nj)
                    if worker is not None and index - next_out < _WINDOW_PER_WORKER * nj:
                        break
                    self._receive(finished)
                if not worker.job_sent:
                    self._send(worker, ("job", job_payload))
                    worker.job_sent = True
                self._send(worker, ("item", index, pickle.dumps(item)))
                worker.busy = True
            while next_out < count:
                if next_out not in finished:
                    self._receive(finished)
                    continue
                yield _unpack(finished.pop(next_out))
                next_out += 1
        except BaseException:
            # Includes KeyboardInterrupt, and the consumer leaving early (GeneratorExit):
            # whatever the workers still do is of no use.
            self.terminate()
            raise

    def _free_worker(self, nj):
        for worker in self._workers:
            if not worker.busy:
                return worker
        if len(self._workers) < nj:
            worker = _Worker(len(self._workers) + 1, self.nj)
            self._workers.append(worker)
            return worker
        return None

    def _send(self, worker, message):
        # Only ever to a free worker, which is waiting for it: the send cannot block for long.
        try:
            worker.connection.send(message)
        except OSError:
            self._died(worker)

    def _receive(self, finished):
        """Wait for the next result of any busy worker; a worker that ended is an error."""
        busy = {worker.connection: worker for worker in self._workers if worker.busy}
        sentinels = {worker.process.sentinel: worker for worker in self._workers}
        for ready in wait(list(busy) + list(sentinels)):
            if ready in sentinels:
                self._died(sentinels[ready])
            worker = busy[ready]
            try:
                index, payload = ready.recv()
            except (EOFError, OSError):
                self._died(worker)
            finished[index] = payload
            worker.busy = False
            return

    def _died(self, worker):
        worker.process.join(_STOP_SECONDS)
        code = worker.process.exitcode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else \
            f"died (exit code {code})"
        raise WorkerDied(f"worker process {worker.number} of {self.nj} {how}")

    def close(self):
        """Stop the workers once their work is done (they have none left after a map)."""
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.connection.send(None)
        for worker in self._workers:
            worker.process.join(_STOP_SECONDS)
        self.terminate()

    def terminate(self):
        """End the workers now, whatever they are doing."""
        for worker in self._workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in self._workers:
            worker.process.join()
            worker.connection.close()
        self._workers = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_):
        if exc_type is None:
            self.close()
        else:
            self.terminate()
        return False


def _unpack(payload):
    succeeded, value, worker_traceback = pickle.loads(payload)
    if succeeded:
        return value
    raise value from WorkerTraceback(worker_traceback)


class _Worker:
    """One worker process and this process's end of the pipe to it."""

    def __init__(self, number, nj):
        self.number = number
        self.busy = False
        self.job_sent = False
        context = _context()
        self.connection, child_end = context.Pipe()
        threads = max(1, (os.cpu_count() or 1) // nj)
        self.process = context.Process(target=_work, args=(child_end, threads), daemon=True,
                                       name=f"metricvox-worker-{number}")
        with _thread_variables(threads):
            self.process.start()
        child_end.close()


def _context():
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The tool's own imports (torch...) are made once in the server, not once per worker.
    context.set_forkserver_preload(["__main__", __name__])
    return context


@atexit.register
def _stop_server():
    """Stop the fork server, if one was started, and wait for it. The workers are its
    children and it reaps them, so their CPU time reaches this process's RUSAGE_CHILDREN
    (the CPU time /usr/bin/time, the recipes' stage lines and the benches report) only
    through the server, which multiprocessing itself never waits for. ``_stop`` is
    CPython's (private) way to do both."""
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    if server is not None and hasattr(server, "_stop"):
        server._stop()


@contextlib.contextmanager
def _thread_variables(threads):
    """Thread counts for the BLAS libraries of the processes started now (read when they load)."""
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    os.environ.update({name: str(threads) for name in _THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _work(connection, threads):
    """A worker's loop: take the job, then items, and send back each item's outcome."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    job_payload, job = None, None
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return   # the parent is gone
        if message is None:
            return
        if message[0] == "job":
            job_payload, job = message[1], None
            continue
        _, index, item_payload = message
        try:
            if job is None:
                job = pickle.loads(job_payload)
                _share_torch_threads(threads)
            outcome = pickle.dumps((True, job(pickle.loads(item_payload)), None))
        except Exception as error:
            outcome = _failure(error)
        try:
            connection.send((index, outcome))
        except OSError:
            return


def _share_torch_threads(threads):
    # torch may have been loaded by the server before the thread variables applied.
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def _failure(error):
    """The pickled outcome of a job that raised ``error``: the same exception if it survives
    pickling, else a RuntimeError saying what it was."""
    text = traceback.format_exc()
    try:
        payload = pickle.dumps((False, error, text))
        pickle.loads(payload)
        return payload
    except Exception:
        replacement = RuntimeError(f"{type(error).__name__}: {error} (in a worker process)")
        return pickle.dumps((False, replacement, text))
