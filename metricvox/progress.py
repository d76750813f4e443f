"""Progress of long work: a tqdm bar when stderr is a terminal, else a log line at a steady
interval (done/total, rate, ETA), so that a recipe logged to a file does not fall silent
for minutes; nothing at all under ``--quiet``.

The interval is 30 s, or ``METRICVOX_PROGRESS_INTERVAL`` seconds when that is set.
"""

import logging
import os
import sys
import time

from tqdm import tqdm

_quiet = False
log = logging.getLogger("metricvox.progress")


def set_quiet(quiet):
    """Silence every progress report of this process (the tools' ``--quiet``)."""
    global _quiet
    _quiet = bool(quiet)


def progress(iterable=None, desc=None, total=None, unit="it"):
    """Wrap ``iterable`` (or count ``update`` calls) with a progress report."""
    if not _quiet and not sys.stderr.isatty():
        return LoggedProgress(iterable, desc=desc, total=total, unit=unit)
    return tqdm(iterable, desc=desc, total=total, unit=unit, file=sys.stderr,
                disable=_quiet, leave=False, dynamic_ncols=True)


def _duration(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s")


class LoggedProgress:
    """The part of tqdm's interface the project uses, reported as log lines."""

    def __init__(self, iterable=None, desc=None, total=None, unit="it", interval=None,
                 clock=time.monotonic):
        self.iterable = iterable
        self.desc = desc or "progress"
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total = total
        self.unit = unit
        self.interval = float(interval if interval is not None
                              else os.environ.get("METRICVOX_PROGRESS_INTERVAL", 30))
        self.clock = clock
        self.count = 0
        self.postfix = {}
        self.started = self.last_report = clock()

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update(1)

    def __len__(self):
        return self.total

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def update(self, n=1):
        self.count += n
        now = self.clock()
        if now - self.last_report >= self.interval:
            self.last_report = now
            log.info("%s", self.line(now))

    def set_postfix(self, values, refresh=True):
        self.postfix = dict(values)

    def close(self):
        pass

    def line(self, now):
        """``desc: done/total unit (pct), rate, ETA, postfix``."""
        elapsed = now - self.started
        rate = self.count / elapsed if elapsed > 0 else 0.0
        parts = [f"{self.count}/{self.total} {self.unit} ({100 * self.count / self.total:.0f}%)"
                 if self.total else f"{self.count} {self.unit}"]
        parts.append(f"{rate:.2f} {self.unit}/s" if rate < 10 else f"{rate:.0f} {self.unit}/s")
        if self.total and rate > 0:
            parts.append(f"ETA {_duration((self.total - self.count) / rate)}")
        parts += [f"{key} {value}" for key, value in self.postfix.items()]
        return f"{self.desc}: " + ", ".join(parts)
