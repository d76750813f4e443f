"""Progress bars for long work: tqdm on stderr, silent when stderr is not a terminal."""

import sys

from tqdm import tqdm

_quiet = False


def set_quiet(quiet):
    """Silence every progress bar of this process (the tools' ``--quiet``)."""
    global _quiet
    _quiet = bool(quiet)


def progress(iterable=None, desc=None, total=None, unit="it"):
    disable = _quiet or not sys.stderr.isatty()
    return tqdm(iterable, desc=desc, total=total, unit=unit, file=sys.stderr,
                disable=disable, leave=False, dynamic_ncols=True)
