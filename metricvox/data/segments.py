"""The times of a Kaldi ``segments`` line (``utt recording start end``), checked once for
every reader: numbers, finite, ``0 <= start < end``, or ``end`` = -1 for the end of the recording."""

import math

from metricvox.errors import InputError


def segment_times(start, end, path, line):
    """``(start, end)`` in seconds as floats; anything else is an InputError at path:line."""
    try:
        start, end = float(start), float(end)
    except ValueError:
        raise InputError("start and end times must be numbers (seconds)", path, line) from None
    # NaN fails every comparison, so it is refused here too.
    if not (math.isfinite(start) and 0 <= start and (end == -1 or start < end < math.inf)):
        raise InputError(f"bad segment times {start} {end}: need 0 <= start < end "
                         "(or end = -1 for the end of the recording)", path, line)
    return start, end


def check_segment_end(end, recording_seconds, recording, path, line):
    """A segment ending after the end of its recording is an InputError: its samples do not exist."""
    if end != -1 and end > recording_seconds:
        raise InputError(f"segment ends at {end} s, after the end of recording '{recording}' "
                         f"({recording_seconds:.3f} s long)", path, line)
