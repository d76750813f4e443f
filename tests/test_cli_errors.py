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


FLOATS_SCRIPT = '''
import click
from metricvox.cli import Tool

@click.command(cls=Tool)
@click.option("--gain", type=float, default=1.0)
@click.option("--share", type=click.FloatRange(0, 1), default=0.5)
@click.option("--target", type=float, multiple=True)
def main(gain, share, target):
    click.echo(f"{gain} {share} {target}")

main()
'''


def test_nan_and_infinity_are_refused_for_every_float_option(tmp_path):
    """click lets NaN through even a FloatRange (every comparison with NaN is false)."""
    def run(*args):
        return subprocess.run([sys.executable, "-c", FLOATS_SCRIPT, *args], capture_output=True,
                              text=True)
    for args, option in [(["--gain", "nan"], "--gain"), (["--share", "nan"], "--share"),
                         (["--gain", "-inf"], "--gain"),
                         (["--target", "0.1", "--target", "inf"], "--target")]:
        assert_one_line_error(run(*args), option, "must be a finite number")
    conf = tmp_path / "c.conf"
    conf.write_text("--gain=nan\n")
    assert_one_line_error(run("--config", str(conf)), "--gain", "must be a finite number")
    assert run("--gain", "2.5", "--target", "0.01").stdout.split()[0] == "2.5"


def test_a_real_tool_refuses_nan_for_a_ranged_option(tmp_path):
    assert_one_line_error(subprocess.run(
        ["metricvox-train-class-svm", "--c", "nan", "--utt2label", "x", "ark:x", "m"],
        capture_output=True, text=True), "--c", "must be a finite number")


def test_output_to_a_closed_stdout_is_an_error_not_silence(tmp_path):
    """With stdout closed (`>&-`) Python drops what click.echo prints and the tool would
    exit 0 having shown nothing; metricvox-compute-eer prints its report there."""
    (tmp_path / "trials").write_text("a b target\nc d nontarget\n")
    (tmp_path / "scores").write_text("a b 1.0\nc d 0.5\n")
    proc = subprocess.run(f"metricvox-compute-eer {tmp_path}/trials {tmp_path}/scores >&-",
                          shell=True, capture_output=False, stderr=subprocess.PIPE, text=True)
    assert_one_line_error(proc, "stdout", "closed")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, "ok"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "fine"
