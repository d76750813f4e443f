"""metricvox.worker_pool: a map in worker processes that is, to its caller, the serial map.

The jobs are module-level so that the workers (started from a clean server process,
not forked from the test) can unpickle them."""
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import REPO
from metricvox.errors import InputError
from metricvox.worker_pool import WorkerDied, WorkerPool, WorkerTraceback, ordered_map


def square_slowly(item):
    """item squared, with the worker's pid; every 5th item is slow, so others overtake it."""
    time.sleep(0.1 if item % 5 == 0 else 0.0)
    return item * item, os.getpid()


class Offset:
    """A job with state, sent to each worker once per map."""

    def __init__(self, offset):
        self.offset = offset

    def __call__(self, item):
        return item + self.offset, os.getpid()


def rejects_seven(item):
    if item == 7:
        raise InputError(f"value {item} is not allowed", "table.txt", item + 1)
    return item


def dies_at_three(item):
    if item == 3:
        os._exit(3)
    return item


@pytest.fixture
def deadline():
    """Fails a test that hangs (a lost worker must be an error, not a wait without end)."""
    def hung(*_):
        raise TimeoutError("the pool hung")
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_results_equal_the_serial_map_in_input_order(deadline):
    items = range(20)
    results = list(ordered_map(square_slowly, (i for i in items), nj=3))
    assert [value for value, _pid in results] == [i * i for i in items]
    pids = {pid for _value, pid in results}
    assert os.getpid() not in pids and len(pids) == 3


def test_one_job_or_one_item_runs_here_without_a_worker():
    assert list(ordered_map(square_slowly, iter(range(5)), nj=1)) == \
        [(i * i, os.getpid()) for i in range(5)]
    assert list(ordered_map(square_slowly, [4], nj=4)) == [(16, os.getpid())]
    with WorkerPool(4) as pool:
        assert list(pool.map(square_slowly, [])) == []
        assert pool._workers == []


def test_an_open_pool_serves_several_maps_with_the_same_workers(deadline):
    with WorkerPool(2) as pool:
        first = list(pool.map(Offset(100), iter(range(6))))
        second = list(pool.map(Offset(-1), iter(range(6))))
    assert [value for value, _ in first] == [i + 100 for i in range(6)]
    assert [value for value, _ in second] == [i - 1 for i in range(6)]
    assert {pid for _, pid in first} == {pid for _, pid in second}
    assert len({pid for _, pid in first}) == 2


def test_an_input_error_in_a_worker_is_the_same_input_error_here(deadline):
    with pytest.raises(InputError) as caught:
        list(ordered_map(rejects_seven, iter(range(12)), nj=2))
    error = caught.value
    assert (error.message, error.path, error.line) == ("value 7 is not allowed", "table.txt", 8)
    assert str(error) == "table.txt:8: value 7 is not allowed"
    assert isinstance(error.__cause__, WorkerTraceback)
    assert "rejects_seven" in str(error.__cause__)        # the worker's own traceback


def test_a_worker_that_dies_is_an_error_not_a_hang(deadline):
    pool = WorkerPool(2)
    with pytest.raises(WorkerDied, match=r"worker process \d of 2 died \(exit code 3\)"):
        list(pool.map(dies_at_three, iter(range(10))))
    assert pool._workers == []                           # the other worker was ended too


def test_leaving_a_map_early_ends_its_workers(deadline):
    results = ordered_map(Offset(0), iter(range(100)), nj=2)
    next(results)
    next(results)
    results.close()
    assert [p for p in multiprocessing.active_children()
            if p.name.startswith("metricvox-worker")] == []


def test_sigterm_to_a_tool_ends_it_and_its_workers(tmp_path):
    """The tool unwinds as after Ctrl-C ("aborted"); its workers do not outlive it."""
    pids = tmp_path / "pids"
    script = textwrap.dedent(f"""
        import os, sys, time
        import click
        from metricvox.cli import Tool
        from metricvox.worker_pool import ordered_map

        def slow(item):
            with open({str(pids)!r}, "a") as out:
                out.write(f"{{os.getpid()}}\\n")
            time.sleep(60)

        @click.command(cls=Tool)
        def main():
            list(ordered_map(slow, iter(range(4)), nj=2))

        if __name__ == "__main__":
            main()
        """)
    (tmp_path / "tool.py").write_text(script)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "tool.py")], stderr=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=os.getcwd()))
    deadline = time.time() + 60
    while time.time() < deadline and (not pids.exists() or len(pids.read_text().split()) < 2):
        time.sleep(0.1)
    workers = [int(pid) for pid in pids.read_text().split()]
    assert len(workers) == 2
    os.kill(proc.pid, signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert stderr.decode().strip().splitlines()[-1] == "tool.py: aborted"
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid):
    """Running (a zombie waiting for its parent to reap it has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_workers_cpu_time_reaches_the_callers_rusage(tmp_path):
    """What /usr/bin/time and the recipes' stage lines report as a tool's CPU time includes
    its workers' (each here spins 0.5 s of its own process time)."""
    script = textwrap.dedent("""
        import time
        from metricvox.worker_pool import ordered_map

        def spin(_):
            start = time.process_time()
            while time.process_time() - start < 0.5:
                pass

        if __name__ == "__main__":
            list(ordered_map(spin, range(2), nj=2))
        """)
    (tmp_path / "tool.py").write_text(script)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, str(tmp_path / "tool.py")], check=True,
                   env=dict(os.environ, PYTHONPATH=str(REPO)))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert cpu >= 1.0
