"""Voiced regions of a recording and the clips chosen from them (the singer recipe's 3.5 s clips).

A recording's voiced regions are ``(start, end)`` pairs in seconds: phrase time
stamps (a file of "onset offset" lines) or the voiced runs of an energy VAD
(:func:`metricvox.features.vad.voiced_runs`); a data dir keeps them in its
``voiced`` table (``reco start end start end ...``). A clip is eligible when at least
``min_voiced`` of its length lies inside voiced regions; the clips of a recording
are drawn at random (seeded per recording) among the eligible starts, at least
``min_spacing`` seconds apart.
"""
import zlib

import numpy as np

from metricvox.errors import InputError

GRID = 0.01  # seconds: clip starts and voiced coverage are measured on a 10 ms grid


def read_phrases(path, duration):
    """[(onset, offset)] of a phrase file, clipped to the track; InputError on a bad line."""
    regions = []
    with open(path) as stream:
        for line_no, text in enumerate(stream, 1):
            fields = text.split()
            if not fields:
                continue
            try:
                onset, offset = (float(f) for f in fields)
            except ValueError:
                raise InputError(f"expected 'onset offset' in seconds, got {text.strip()!r}",
                                 path, line_no) from None
            if not 0 <= onset < offset:
                raise InputError(f"phrase {onset} {offset}: need 0 <= onset < offset",
                                 path, line_no)
            if onset < duration:
                regions.append((onset, min(offset, duration)))
    return regions


def eligible_starts(regions, duration, clip_seconds, min_voiced):
    """Start times (s, on the 10 ms grid) of the clips that fit the track and are voiced enough."""
    cells = int(duration / GRID + 1e-6)  # down: no clip may end past the last sample
    width = int(round(clip_seconds / GRID))
    if width > cells:
        return np.zeros(0)
    voiced = np.zeros(cells, dtype=bool)
    for start, end in regions:
        voiced[int(round(start / GRID)):int(round(end / GRID))] = True
    covered = np.concatenate([[0], np.cumsum(voiced)])
    coverage = (covered[width:] - covered[:-width]) / width
    return np.flatnonzero(coverage >= min_voiced - 1e-9) * GRID


def choose_clips(starts, count, min_spacing, seed, key):
    """Up to ``count`` sorted starts drawn from ``starts``, pairwise at least ``min_spacing`` apart."""
    rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
    chosen = []
    for start in starts[rng.permutation(len(starts))]:
        if all(abs(start - other) >= min_spacing - 1e-9 for other in chosen):
            chosen.append(float(start))
            if len(chosen) == count:
                break
    return sorted(chosen)


def format_regions(regions):
    """The ``voiced`` table entry of a recording's regions: 'start end start end ...'."""
    return " ".join(f"{start:.2f} {end:.2f}" for start, end in regions)


def parse_regions(fields, path, line):
    """[(start, end)] of the fields of a ``voiced`` table entry; InputError at ``path:line``."""
    if len(fields) % 2:
        raise InputError("expected pairs of 'start end' times", path, line)
    try:
        times = [float(f) for f in fields]
    except ValueError:
        raise InputError("voiced region times must be numbers", path, line) from None
    return list(zip(times[::2], times[1::2]))
