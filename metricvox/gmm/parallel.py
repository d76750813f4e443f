"""E-step statistics over ``--nj`` parallel jobs whose statistics are summed.

The utterances are dealt round-robin to ``nj`` worker processes, each of which
accumulates the statistics of its share independently (as Kaldi's ``--nj`` jobs
each accumulate one split of the data); the parts are summed in job order. The
reading stays in this process, so any rspecifier works (stdin, pipes, scps).
The workers live across EM iterations. They are forked from a clean server
process that has imported torch once (``forkserver``; plain ``fork`` of this
process is unsafe once torch's thread pools or CUDA have been used here).
With ``nj == 1`` everything runs in this process.
"""

import multiprocessing
import os
import queue
import traceback

import torch

from metricvox.gmm.estep import StatsAccumulator
from metricvox.gmm.model import Gmm

# Utterances waiting for each worker: bounded, so reading never runs far ahead of the E-step.
_QUEUE_LENGTH = 8
_POLL_SECONDS = 1.0


def _worker(inputs, results, index, device, threads):
    torch.set_num_threads(threads)
    accumulator, failure = None, None
    while True:
        message = inputs.get()
        kind = message[0]
        if kind == "stop":
            return
        if kind == "model":
            _, parameters, second_order = message
            failure = None
            try:
                accumulator = StatsAccumulator(Gmm(*parameters), second_order, device)
            except Exception:  # reported to the parent, which raises it
                failure = traceback.format_exc()
        elif kind == "frames":
            if failure is None:
                try:
                    accumulator.add(message[1])
                except Exception:
                    failure = traceback.format_exc()
        elif kind == "end":
            results.put((index, failure if failure is not None else accumulator.stats()))


def _worker_context():
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", "metricvox.gmm.parallel"])
    return context


class StatsJobs:
    """Accumulates GMM statistics of an utterance stream over ``nj`` jobs; a context manager."""

    def __init__(self, nj=1, device="cpu"):
        if nj < 1:
            raise ValueError(f"nj must be at least 1, got {nj}")
        self.nj = nj
        self.device = device
        self._processes = []
        if nj > 1:
            context = _worker_context()
            threads = max(1, (os.cpu_count() or 1) // nj)
            self._inputs = [context.Queue(_QUEUE_LENGTH) for _ in range(nj)]
            self._results = context.Queue()
            for index in range(nj):
                process = context.Process(
                    target=_worker, daemon=True,
                    args=(self._inputs[index], self._results, index, str(device), threads))
                process.start()
                self._processes.append(process)

    def accumulate(self, model, utterances, second_order="diag"):
        """The summed statistics of the frames of ``utterances`` ((key, frames) pairs)."""
        if self.nj == 1:
            accumulator = StatsAccumulator(model, second_order, self.device)
            for _key, frames in utterances:
                accumulator.add(frames)
            return accumulator.stats()
        parameters = (model.weights, model.means, model.covars)
        for index in range(self.nj):
            self._send(index, ("model", parameters, second_order))
        for number, (_key, frames) in enumerate(utterances):
            self._send(number % self.nj, ("frames", frames))
        for index in range(self.nj):
            self._send(index, ("end",))
        parts = dict(self._receive() for _ in range(self.nj))
        for index in range(self.nj):
            if isinstance(parts[index], str):
                raise RuntimeError(f"statistics job {index + 1} of {self.nj} failed:\n"
                                   + parts[index])
        total = parts[0]
        for index in range(1, self.nj):
            total = total + parts[index]
        return total

    def _send(self, index, message):
        while True:
            try:
                self._inputs[index].put(message, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                self._check_alive()

    def _receive(self):
        while True:
            try:
                return self._results.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                self._check_alive()

    def _check_alive(self):
        for index, process in enumerate(self._processes):
            if not process.is_alive():
                raise RuntimeError(f"statistics job {index + 1} of {self.nj} died "
                                   f"(exit code {process.exitcode})")

    def close(self):
        for index, process in enumerate(self._processes):
            if process.is_alive():
                try:
                    self._inputs[index].put(("stop",), timeout=_POLL_SECONDS)
                except queue.Full:
                    process.terminate()
        for process in self._processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join()
        self._processes = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
