"""What every ``bin/metricvox-*`` tool shares: error reporting, logging, --quiet.

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
"""

import logging
import os
import sys

import click

from metricvox.errors import InputError
from metricvox.progress import set_quiet


def _setup_logging(tool_name, quiet):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{tool_name}: %(message)s"))
    root = logging.getLogger("metricvox")
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    root.propagate = False


class Tool(click.Command):
    """A click command with metricvox's error contract and a ``--quiet`` flag."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.params.append(click.Option(
            ["--quiet"], is_flag=True, expose_value=False, is_eager=True,
            callback=lambda ctx, _param, value: ctx.meta.__setitem__("quiet", value),
            help="No progress bars or log lines, only errors."))

    def invoke(self, ctx):
        name = os.path.basename(ctx.command_path or sys.argv[0])
        quiet = ctx.meta.get("quiet", False)
        set_quiet(quiet)
        _setup_logging(name, quiet)
        try:
            return super().invoke(ctx)
        except InputError as error:
            click.echo(f"{name}: error: {error}", err=True)
            ctx.exit(1)
        except BrokenPipeError:
            # The reader of our stdout went away (e.g. `| head`): not our error to report.
            sys.stderr.close()
            ctx.exit(1)
