"""Kaldi-style conf files: one ``--option=value`` per line, ``#`` starts a comment.

A bare ``--option`` means ``--option=true``, as in Kaldi's ParseOptions. Every
tool takes ``--config FILE`` (see :mod:`metricvox.cli`); feature extraction layers
it over its presets.
"""

from dataclasses import dataclass
from pathlib import Path

from metricvox.errors import InputError


@dataclass(frozen=True)
class Setting:
    """One ``--name=value`` from a conf file or the command line, with where it came from."""
    name: str
    value: object
    path: str = None
    line: int = None


def read_conf(path):
    """The settings of a conf file, in order, each located at its file and line."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise InputError(f"cannot read conf file: {error.strerror}", path)
    except UnicodeDecodeError:
        raise InputError("conf file is not text", path)
    settings = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if not line.startswith("--") or len(line) == 2:
            raise InputError(f"expected --option=value, got {line!r}", path, line_no)
        name, sep, value = line[2:].partition("=")
        settings.append(Setting(name.strip(), value.strip() if sep else "true", str(path), line_no))
    return settings
