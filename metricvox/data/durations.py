"""utt2dur: the duration in seconds of every utterance of a data directory."""

import logging

import soundfile

from metricvox.data.audio import read_audio
from metricvox.data.datadir import DataDir
from metricvox.data.segments import check_segment_end, segment_times
from metricvox.data.tables import write_table
from metricvox.errors import InputError
from metricvox.io.pipes import is_pipe
from metricvox.progress import progress

log = logging.getLogger(__name__)


def header_seconds(source):
    """Seconds of audio in a file from its header, without decoding; None for a pipe, a file
    that is missing or unreadable, or a header that does not give the length."""
    if is_pipe(source):
        return None
    try:
        info = soundfile.info(source)
    except (soundfile.LibsndfileError, RuntimeError):
        return None
    return info.frames / info.samplerate if info.frames > 0 else None


def audio_duration(source, *, where=None):
    """Seconds of audio in a file (from its header, without decoding) or a pipe (decoded)."""
    seconds = header_seconds(source)
    if seconds is not None:
        return seconds
    # A pipe, or a file whose header does not tell: read_audio decodes it, or reports the problem.
    samples, rate = read_audio(source, where=where)
    return len(samples) / rate


def compute_utt2dur(path):
    """Write ``path/utt2dur`` (segment lengths when there are segments); return {utt: seconds}."""
    datadir = DataDir.load(path)
    if "wav.scp" not in datadir.tables:
        raise InputError("utt2dur needs wav.scp", datadir.file("wav.scp"))
    wav_file = datadir.file("wav.scp")
    durations = {}
    if "segments" in datadir.tables:
        recordings = {row.key: row for row in datadir.tables["wav.scp"]}
        recording_seconds = {}
        segments_file = datadir.file("segments")
        for row in datadir.tables["segments"]:
            recording, start, end = row.fields
            if recording not in recordings:
                raise InputError(f"recording '{recording}' is not in wav.scp", segments_file, row.line)
            start, end = segment_times(start, end, segments_file, row.line)
            wav = recordings[recording]
            # A file's length is in its header; a pipe is decoded only when a segment runs to its end.
            if recording not in recording_seconds and (end == -1 or not is_pipe(wav.rest)):
                recording_seconds[recording] = audio_duration(wav.rest, where=(wav_file, wav.line))
            if end == -1:
                end = recording_seconds[recording]
                if end <= start:
                    raise InputError(f"segment has no duration ({start} to {end} s)", segments_file, row.line)
            elif recording in recording_seconds:
                check_segment_end(end, recording_seconds[recording], recording, segments_file, row.line)
            durations[row.key] = end - start
    else:
        for row in progress(datadir.tables["wav.scp"], desc="utt2dur"):
            durations[row.key] = audio_duration(row.rest, where=(wav_file, row.line))
    write_table(datadir.file("utt2dur"), ((utt, repr(round(seconds, 7))) for utt, seconds in durations.items()))
    log.info("wrote durations of %d utterances, %.1f hours in all", len(durations),
             sum(durations.values()) / 3600)
    return durations
