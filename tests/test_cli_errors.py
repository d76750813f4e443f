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
