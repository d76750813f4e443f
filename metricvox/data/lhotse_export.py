"""A Kaldi data dir to lhotse manifests: a RecordingSet and a SupervisionSet, written by lhotse.

The data dir is validated first (metricvox-validate-data-dir's checks). Each ``wav.scp``
entry becomes a Recording: a file source, or a command source for a ``cmd |`` pipe,
with its rate, length and channels from the file's header or, for a pipe or a container
libsndfile does not know, from the decoded audio. Each utterance becomes a
SupervisionSegment: its segment of the recording (the whole recording without
``segments``), its speaker from ``utt2spk``, its ``text`` when the dir has one, on all
the recording's channels (metricvox reads the mean of them). The two manifests appear
together or not at all; their names say whether they are gzipped (``.jsonl.gz``) or not
(``.jsonl``).
"""

import contextlib
import os
import tempfile

from metricvox.data.audio import libsndfile_info, read_audio
from metricvox.data.datadir import DataDir
from metricvox.data.validate import validate_data_dir
from metricvox.errors import InputError
from metricvox.io.atomic import write_failure
from metricvox.io.pipes import is_pipe

MANIFEST_SUFFIXES = (".jsonl.gz", ".jsonl")


def _audio_shape(source, where):
    """(sampling rate, samples, channels) of a wav.scp entry's audio."""
    if not is_pipe(source):
        if not os.path.isfile(source):
            raise InputError(f"audio file '{source}' does not exist", *where)
        try:
            info = libsndfile_info(source)
        except Exception as error:  # soundfile's errors for a file it cannot open
            raise InputError(f"cannot read the header of '{source}': {error}", *where) from None
        if info is not None and info.frames > 0:
            return int(info.samplerate), int(info.frames), int(info.channels)
    samples, rate = read_audio(source, where=where, mono=False)
    return int(rate), samples.shape[0], samples.shape[1]


def _recording(key, source, where):
    from lhotse import AudioSource, Recording
    rate, num_samples, channels = _audio_shape(source, where)
    audio = (AudioSource("command", list(range(channels)), source.rstrip()[:-1].strip())
             if is_pipe(source) else AudioSource("file", list(range(channels)), source))
    return Recording(key, [audio], rate, num_samples, num_samples / rate)


def manifests_of_data_dir(path):
    """(RecordingSet, SupervisionSet) of the data dir at ``path``."""
    from lhotse import RecordingSet, SupervisionSegment, SupervisionSet
    validate_data_dir(path)
    datadir = DataDir.load(path)
    wav_file = datadir.file("wav.scp")
    recordings = {row.key: _recording(row.key, row.rest, (wav_file, row.line))
                  for row in datadir.tables["wav.scp"]}
    if "segments" in datadir.tables:
        spans = {}
        for row in datadir.tables["segments"]:
            recording, start, end = row.fields
            start, end = float(start), float(end)
            spans[row.key] = (recording, start, recordings[recording].duration if end == -1 else end)
    else:
        spans = {key: (key, 0.0, recording.duration) for key, recording in recordings.items()}
    texts = {row.key: row.rest for row in datadir.tables.get("text", [])}
    supervisions = []
    for utt, speaker in datadir.utt2spk().items():
        recording, start, end = spans[utt]
        channels = recordings[recording].channel_ids
        supervisions.append(SupervisionSegment(
            utt, recording, start, round(end - start, 7),
            channel=channels[0] if len(channels) == 1 else channels,
            speaker=speaker, text=texts.get(utt) or None))
    return RecordingSet.from_recordings(recordings.values()), SupervisionSet.from_segments(supervisions)


def check_manifest_name(path):
    """An InputError unless ``path`` ends as a lhotse JSON-lines manifest does."""
    if not os.fspath(path).endswith(MANIFEST_SUFFIXES):
        raise InputError(f"a manifest's name must end in {' or '.join(MANIFEST_SUFFIXES)}", path)


def write_manifests(manifests_and_paths):
    """Write each (lhotse manifest, path) with lhotse; all appear together or none does."""
    written = []
    try:
        for manifest, path in manifests_and_paths:
            path = os.fspath(path)
            check_manifest_name(path)
            directory, name = os.path.split(path)
            suffix = next(s for s in MANIFEST_SUFFIXES if name.endswith(s))
            try:
                fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp" + suffix,
                                            dir=directory or ".")
            except OSError as error:
                raise InputError(f"cannot write here: {error.strerror}", path) from None
            os.close(fd)
            written.append((temp, path))
            try:
                manifest.to_file(temp)   # lhotse gzips by the name's ending
            except OSError as error:
                raise write_failure(error, path) or error from None
        for temp, path in written:
            os.replace(temp, path)
    finally:
        for temp, _path in written:
            with contextlib.suppress(FileNotFoundError):
                os.remove(temp)
