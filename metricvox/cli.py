"""What every ``bin/metricvox-*`` tool shares: error reporting, logging, --quiet, --config.

A tool is a click command declared with ``cls=Tool``::

    @click.command(cls=Tool)
    @click.argument("rspecifier")
    def main(rspecifier):
        ...

    if __name__ == "__main__":
        main()

:class:`metricvox.errors.InputError` raised anywhere below becomes one line on
stderr, ``metricvox-xxx: error: FILE:LINE: message``, and exit status 1. Library
code logs through :mod:`logging`; the tool prints those records to stderr
prefixed with its name, as Kaldi's ``LOG (tool)`` lines.

As in Kaldi, every tool takes ``--config FILE``: its ``--option=value`` lines act
as if given before the command-line options, which therefore win. A tool that
defines its own ``--config`` (feature extraction, which layers it over presets)
keeps its own meaning.
"""

import io
import logging
import math
import os
import signal
import sys

import click

from metricvox.conf import read_conf
from metricvox.errors import InputError, TrainingFailure
from metricvox.progress import set_quiet


def _setup_logging(tool_name, quiet):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{tool_name}: %(message)s"))
    root = logging.getLogger("metricvox")
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    root.propagate = False


def _config_argument(args):
    """The value of the first --config in ``args`` (before a ``--``), or None."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
        if arg == "--config" and i + 1 < len(args):
            return args[i + 1]
    return None


class Tool(click.Command):
    """A click command with metricvox's error contract, ``--quiet`` and ``--config``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        options = {opt for p in self.params if isinstance(p, click.Option) for opt in p.opts}
        self._generic_config = "--config" not in options
        if self._generic_config:
            self.params.append(click.Option(
                ["--config"], type=click.Path(dir_okay=False), expose_value=False,
                help="Kaldi-style conf file of --option=value lines; options given here win."))
        self.params.append(click.Option(
            ["--quiet"], is_flag=True, expose_value=False, is_eager=True,
            callback=lambda ctx, _param, value: ctx.meta.__setitem__("quiet", value),
            help="No progress bars or log lines, only errors."))

    def _conf_arguments(self, path):
        """The conf file's settings as command-line words, each option checked to exist."""
        flags = {opt: p for p in self.params if isinstance(p, click.Option) for opt in p.opts}
        words = []
        for setting in read_conf(path):
            option = flags.get("--" + setting.name)
            if option is None or setting.name in ("config", "help"):
                raise InputError(f"unknown option --{setting.name} for this tool", setting.path,
                                 setting.line)
            if option.is_flag:
                value = str(setting.value).lower()
                if value not in ("true", "false", "1", "0"):
                    raise InputError(f"--{setting.name} is a flag: expected true or false, "
                                     f"got {setting.value!r}", setting.path, setting.line)
                words += ["--" + setting.name] if value in ("true", "1") else []
            else:
                words += ["--" + setting.name, str(setting.value)]
        return words

    def parse_args(self, ctx, args):
        if self._generic_config:
            path = _config_argument(args)
            if path is not None:
                args = self._conf_arguments(path) + list(args)
        rest = super().parse_args(ctx, args)
        _refuse_non_finite_floats(self.params, ctx.params)
        return rest

    def invoke(self, ctx):
        quiet = ctx.meta.get("quiet", False)
        set_quiet(quiet)
        _setup_logging(_tool_name(), quiet)
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader of our stdout went away (e.g. `| head`): not our error to report.
            sys.stderr.close()
            ctx.exit(1)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        # click's own reporting is several lines ("Usage: ... Error: ..."): report every
        # failure as the one line the error contract promises instead.
        name = _tool_name()
        # SIGTERM (kill, Slurm's scancel and time limit) unwinds like Ctrl-C, so that every
        # output being written is discarded rather than left half-written.
        global _tool_pid
        _tool_pid = os.getpid()
        if sys.stdout is None:
            _stand_in_for_closed_stdout()
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            status = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except (InputError, TrainingFailure) as error:
            click.echo(f"{name}: error: {error}", err=True)
            sys.exit(1)
        except click.UsageError as error:
            click.echo(f"{name}: error: {error.format_message()} (see {name} --help)", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            click.echo(f"{name}: error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo(f"{name}: aborted", err=True)
            sys.exit(1)
        if not standalone_mode:
            return status
        sys.exit(status if isinstance(status, int) else 0)


_tool_pid = None


def _refuse_non_finite_floats(params, values):
    """NaN or infinity given to any float option is a usage error: no option of ours means
    anything with them, and click's FloatRange lets NaN through (every comparison is false)."""
    for param in params:
        if not isinstance(param.type, click.types.FloatParamType):
            continue
        value = values.get(param.name)
        numbers = value if isinstance(value, (tuple, list)) else (value,)
        for number in numbers:
            if number is not None and not math.isfinite(number):
                raise click.BadParameter(f"must be a finite number, got {number}", param=param)


def _refuse_closed_stdout(_data):
    raise InputError("cannot write to stdout: it is closed", "-")


class _ClosedStdout(io.TextIOBase):
    """sys.stdout of a tool started with stdout closed (``>&-``): writing to it, as text or
    through ``.buffer``, is the one-line error, where Python would silently drop the output
    (sys.stdout is None)."""

    write = staticmethod(_refuse_closed_stdout)

    @property
    def buffer(self):
        return _ClosedBinaryStdout()


class _ClosedBinaryStdout(io.RawIOBase):
    write = staticmethod(_refuse_closed_stdout)

    def writable(self):
        return True


def _stand_in_for_closed_stdout():
    # Descriptor 1 is taken by /dev/null first: otherwise the next file the tool opens
    # becomes descriptor 1, and whatever writes to descriptor 1 below Python (a C library,
    # a child process that inherits it) would write into that file.
    fd = os.open(os.devnull, os.O_WRONLY)
    if fd != 1:
        os.dup2(fd, 1)
        os.close(fd)
    sys.stdout = _ClosedStdout()


def _interrupt(signum, frame):
    if os.getpid() != _tool_pid:
        # A forked child that kept the handler (see below): it dies quietly, as it would
        # have without it.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise KeyboardInterrupt(f"signal {signum}")


def _default_sigterm_in_forked_child():
    """A forked child of a tool (a process-pool worker) gets SIGTERM's default action back.

    A pool's shutdown SIGTERMs its idle workers. With a Python-level handler the signal
    only sets a flag, and one that lands between the worker's last check and its blocking
    wait on the task queue's lock is never acted on: the worker waits forever and the
    pool's join with it (seen as a stand-in corpus generation hung for 15 minutes). The
    default action ends the process in the kernel, with no window. Only the tool's own
    handler is dropped: a process that set another keeps it in its children.
    """
    if signal.getsignal(signal.SIGTERM) is not _interrupt:
        return
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except ValueError:
        pass   # forked from a non-main thread: _interrupt still ends the child


os.register_at_fork(after_in_child=_default_sigterm_in_forked_child)


def _tool_name():
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "metricvox"
