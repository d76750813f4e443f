"""Kaldi rspecifiers and wspecifiers: ``ark:``, ``scp:``, ``ark,t:``, ``ark,scp:A,S`` ...

A specifier is ``OPTIONS:FILES`` where OPTIONS is a comma list holding exactly
one table type for reading (``ark`` or ``scp``) and ``ark`` (optionally with
``scp``) for writing, plus Kaldi's flags. ``-`` alone means ``ark:-``.
"""

import os
from collections import namedtuple

from metricvox.errors import InputError

RSpecifier = namedtuple("RSpecifier", "kind path options")
RSpecifier.__doc__ = """A table to read: kind is "ark" or "scp"; path may be "-" or "cmd |"."""

WSpecifier = namedtuple("WSpecifier", "ark scp text options")
WSpecifier.__doc__ = """A table to write: ark path (or "-"), optional scp path, text (bool)."""

# Kaldi's read flags: once, sorted, called-sorted, permissive (and their negations);
# binary/text are accepted and ignored since the format is detected per entry.
_READ_FLAGS = {"o", "no", "s", "ns", "cs", "ncs", "p", "np", "b", "t"}
# Kaldi's write flags: binary, text, flush, no-flush, permissive.
_WRITE_FLAGS = {"b", "t", "f", "nf", "p"}


def _split(spec, what, example):
    spec = str(spec)
    if spec == "-":
        return ["ark"], "-"
    kinds, colon, files = spec.partition(":")
    if not colon or not files:
        raise InputError(f"expected a {what} like {example}, got {spec!r}")
    return [k.strip() for k in kinds.split(",")], files


def parse_rspecifier(spec):
    """Parse a Kaldi rspecifier into an :class:`RSpecifier`; bad ones are an InputError."""
    options, path = _split(spec, "rspecifier", "'ark:feats.ark' or 'scp:feats.scp'")
    kinds = [o for o in options if o in ("ark", "scp")]
    if len(kinds) != 1:
        raise InputError(f"an rspecifier needs exactly one of ark or scp, got {spec!r}")
    flags = [o for o in options if o not in ("ark", "scp")]
    unknown = [f for f in flags if f not in _READ_FLAGS]
    if unknown:
        raise InputError(f"unknown rspecifier option {unknown[0]!r} in {spec!r}")
    return RSpecifier(kinds[0], path, frozenset(flags))


def parse_wspecifier(spec):
    """Parse a Kaldi wspecifier into a :class:`WSpecifier`; bad ones are an InputError."""
    options, files = _split(spec, "wspecifier", "'ark:feats.ark' or 'ark,scp:feats.ark,feats.scp'")
    kinds = [o for o in options if o in ("ark", "scp")]
    flags = [o for o in options if o not in ("ark", "scp")]
    unknown = [f for f in flags if f not in _WRITE_FLAGS]
    if unknown:
        raise InputError(f"unknown wspecifier option {unknown[0]!r} in {spec!r}")
    if "ark" not in kinds or len(kinds) != len(set(kinds)):
        raise InputError(f"a wspecifier needs ark (and optionally scp), got {spec!r}")
    if "scp" in kinds:
        paths = files.split(",", 1)
        if len(paths) != 2 or not all(paths):
            raise InputError(f"'ark,scp:' needs two files, ARK,SCP, got {spec!r}")
        # Kaldi pairs the files with the kinds in the order the kinds are written.
        named = dict(zip(kinds, paths))
        ark, scp = named["ark"], named["scp"]
        if ark == "-":
            raise InputError(f"an scp needs the offsets of a seekable ark file, not stdout: {spec!r}")
        if ark == scp:
            raise InputError(f"the ark and the scp must be two different files, got {spec!r}")
    else:
        ark, scp = files, None
    for path in (ark, scp):
        if path is not None and (path.strip().endswith("|") or path.strip().startswith("|")):
            raise InputError(f"writing to a pipe is not supported (outputs are written atomically), "
                             f"got {spec!r}")
    return WSpecifier(ark, scp, "t" in flags, frozenset(flags))


def check_distinct_outputs(wspecifiers):
    """Several tables written at once must go to different files (and at most one to stdout):
    one would otherwise overwrite the other. An InputError names the file given twice."""
    seen = set()
    for spec in map(parse_wspecifier, wspecifiers):
        for path in (spec.ark, spec.scp):
            if path is None:
                continue
            key = path if path == "-" else os.path.abspath(path)
            if key in seen:
                raise InputError("the same file is given for two outputs", path)
            seen.add(key)
