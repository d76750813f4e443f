"""The error contract shared by every tool (metricvox.cli.Tool)."""
import subprocess
import sys

from conftest import assert_one_line_error

SCRIPT = '''
import click
from metricvox.cli import Tool
from metricvox.errors import InputError

@click.command(cls=Tool)
@click.argument("what")
def main(what):
    if what == "bad":
        raise InputError("expected 2 fields, got 1", "data/wav.scp", 3)
    click.echo("fine")

main()
'''


def _run(*args):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True)
    return proc


def test_input_error_becomes_one_line_and_exit_1():
    proc = _run("bad")
    assert proc.returncode == 1
    assert_one_line_error(proc, "data/wav.scp:3", "expected 2 fields")


def test_good_input_runs_and_quiet_is_accepted():
    proc = _run("--quiet", "ok")
    assert proc.returncode == 0 and proc.stdout.strip() == "fine"


CONF_SCRIPT = '''
import click
from metricvox.cli import Tool

@click.command(cls=Tool)
@click.option("--threshold", type=float, default=1.0)
@click.option("--name", default="x")
@click.option("--verbose", is_flag=True)
def main(threshold, name, verbose):
    click.echo(f"{threshold} {name} {verbose}")

main()
'''


def _run_conf(*args):
    return subprocess.run([sys.executable, "-c", CONF_SCRIPT, *args], capture_output=True, text=True)


def test_config_file_sets_options_and_the_command_line_wins(tmp_path):
    conf = tmp_path / "x.conf"
    conf.write_text("# a comment\n--threshold=5.5\n--name=conf  # trailing comment\n--verbose=true\n")
    assert _run_conf("--config", str(conf)).stdout.split() == ["5.5", "conf", "True"]
    assert _run_conf(f"--config={conf}", "--threshold", "2").stdout.split() == ["2.0", "conf", "True"]


def test_config_file_unknown_option_is_located(tmp_path):
    conf = tmp_path / "x.conf"
    conf.write_text("--threshold=5.5\n--thresold=6\n")
    proc = _run_conf("--config", str(conf))
    assert proc.returncode == 1
    assert_one_line_error(proc, f"{conf}:2", "unknown option --thresold")
    proc = _run_conf("--config", str(tmp_path / "missing.conf"))
    assert_one_line_error(proc, "missing.conf", "cannot read conf file")


def test_usage_errors_are_one_line_too():
    proc = _run()                                  # the argument is missing
    assert proc.returncode == 2
    assert_one_line_error(proc, "Missing argument 'WHAT'", "--help")
    proc = _run("--no-such-option", "x")
    assert proc.returncode == 2
    assert_one_line_error(proc, "No such option '--no-such-option'")
    assert _run("--help").returncode == 0


def test_sigterm_mid_output_leaves_nothing_behind(tmp_path):
    """A tool killed (kill, scancel, a time limit) while writing discards its outputs."""
    import os
    import signal
    import time

    import kaldiio
    import numpy as np

    with open(tmp_path / "one.ark", "wb") as stream:
        kaldiio.save_ark(stream, {"a": np.ones((3, 2), np.float32)})
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(["metricvox-copy-matrix", "ark:-", f"ark,scp:{out}/x.ark,{out}/x.scp"],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write((tmp_path / "one.ark").read_bytes())  # one entry, then the input stalls
    proc.stdin.flush()
    deadline = time.time() + 60
    while not any(out.iterdir()) and time.time() < deadline:  # the temporary outputs exist
        time.sleep(0.05)
    assert any(out.iterdir())
    os.kill(proc.pid, signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert stderr.decode().strip().splitlines()[-1] == "metricvox-copy-matrix: aborted"
    assert list(out.iterdir()) == []


def test_forked_pool_workers_of_a_tool_take_sigterm_by_default():
    """A pool's shutdown SIGTERMs its idle workers; with the tool's Python-level handler a
    signal landing just before a worker blocks on the task queue's lock was lost and the
    pool's join hung. Workers must get the kernel's default action back."""
    script = """
import multiprocessing, signal
import click
from metricvox.cli import Tool

def disposition(_):
    handler = signal.getsignal(signal.SIGTERM)
    return "default" if handler == signal.SIG_DFL else repr(handler)

@click.command(cls=Tool)
def main():
    with multiprocessing.get_context("fork").Pool(2) as pool:
        print(" ".join(pool.map(disposition, range(2))))
    print("tool:", disposition(None))

main()
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    workers, tool = proc.stdout.splitlines()
    assert workers == "default default"
    assert tool.startswith("tool: <function _interrupt")     # the tool itself still unwinds
