"""lhotse manifests to a Kaldi data dir: recordings and supervisions, or cuts.

The manifests are read by lhotse itself (one JSON object a line, ``.jsonl`` or
``.jsonl.gz``), item by item so that a bad item is reported at its file and line. A
CutSet is reduced by lhotse to the recordings and supervisions it holds (supervision
times become times in the recording). Then:

- each recording becomes a ``wav.scp`` entry (its file, or its command as a ``cmd |``
  pipe) and a ``reco2dur`` entry;
- each supervision becomes an utterance: ``utt2spk`` (its speaker), ``utt2dur``, ``text``
  when any supervision has text, and a ``segments`` line ``sup recording start end``.
  Only when every recording has exactly one supervision, of the recording's own id and
  covering all of it, is ``wav.scp`` keyed by utterance with no ``segments``.

Supervisions of one recording may overlap (two speakers talking at once): Kaldi's
``segments`` allows it, so they are kept, with a warning, since their shared audio
then counts for both. A multi-channel recording is read as the mean of its channels,
as everywhere in metricvox, so its supervisions must cover all its channels; one on
some of the channels is an error (make one recording per channel). Refused, with the
manifest's file and line (or the item's id for cuts): a supervision of an unknown
recording, without a speaker, of no duration or past the recording's end (by more
than half a sample); a recording with several sources, with transforms, or whose
audio is not a file or a command; ids or speakers with whitespace; duplicate ids.
"""

import logging
import os

from metricvox.data.datadir import spk2utt_rows
from metricvox.data.tables import Row, c_order
from metricvox.errors import InputError

log = logging.getLogger(__name__)


def _decoded_lines(path, kind):
    """(line, lhotse item) of each line of the manifest ``path``, read by lhotse; a line
    that is no JSON or no item lhotse can build is an InputError at its line."""
    from lhotse.serialization import deserialize_item, load_jsonl
    lines = load_jsonl(path)
    line = 0
    while True:
        line += 1
        try:
            data = next(lines, None)
            if data is None:
                return
            item = deserialize_item(data)
        except Exception as error:  # bad JSON, a broken gzip stream, fields lhotse refuses
            reason = str(error).strip().splitlines()
            raise InputError(f"not a lhotse {kind} manifest line ({type(error).__name__}"
                             f"{': ' + reason[0] if reason else ''})", path, line) from None
        yield line, item


def _read_items(path, kind):
    """[(item, line)] of the manifest ``path``; ``kind`` ('recording', 'supervision' or
    'cut') is what every line must hold."""
    from lhotse import Recording, SupervisionSegment
    from lhotse.cut.data import DataCut   # MonoCut, or MultiCut: one recording, some channels
    expected = {"recording": Recording, "supervision": SupervisionSegment, "cut": DataCut}[kind]
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InputError(f"no such {kind} manifest", path)
    items = []
    for line, item in _decoded_lines(path, kind):
        if not isinstance(item, expected):
            wanted = "cut of one recording" if kind == "cut" else expected.__name__
            raise InputError(f"expected a lhotse {wanted}, got a {type(item).__name__}", path, line)
        items.append((item, line))
    if not items:
        raise InputError(f"the {kind} manifest is empty", path)
    return items


def read_recordings_and_supervisions(recordings_path, supervisions_path):
    """[(Recording, (path, line))], [(SupervisionSegment, (path, line))]."""
    recordings = [(r, (recordings_path, line)) for r, line in _read_items(recordings_path, "recording")]
    supervisions = [(s, (supervisions_path, line))
                    for s, line in _read_items(supervisions_path, "supervision")]
    return recordings, supervisions


def read_cuts(cuts_path):
    """The recordings and supervisions of a CutSet manifest, as lhotse decomposes it, each
    located by the cuts file (errors name the item's id)."""
    from lhotse import CutSet
    cuts = [cut for cut, _line in _read_items(cuts_path, "cut")]
    recordings, supervisions, _features = CutSet.from_cuts(cuts).decompose()
    if recordings is None or len(recordings) == 0:
        raise InputError("the cuts have no recordings", cuts_path)
    where = (cuts_path, None)
    return [(r, where) for r in recordings], [(s, where) for s in (supervisions or [])]


def _no_whitespace(value, what, where):
    value = str(value)
    if not value or any(c.isspace() for c in value):
        raise InputError(f"{what} {value!r} is empty or holds whitespace (Kaldi tables cannot "
                         "hold it)", *where)


def _wav_entry(recording, where):
    """The wav.scp text of a recording: its file, or its command as a pipe."""
    name = f"recording '{recording.id}'"
    if len(recording.sources) != 1:
        raise InputError(f"{name} has {len(recording.sources)} audio sources: metricvox reads one "
                         "file or command a recording", *where)
    if recording.transforms:
        raise InputError(f"{name} has transforms (speed, volume, resampling...): metricvox would "
                         "read its audio without them", *where)
    source = recording.sources[0]
    if source.type == "file":
        return str(source.source)
    if source.type == "command":
        return f"{source.source} |"
    raise InputError(f"{name} has a '{source.type}' audio source: metricvox reads a file or a "
                     "command", *where)


def _times(supervision, recording, where):
    """(start, end) of a supervision in its recording, checked."""
    name = f"supervision '{supervision.id}'"
    start, end = float(supervision.start), float(supervision.end)
    if not (0 <= start < end):
        raise InputError(f"{name} has start {start} and duration {supervision.duration}: need "
                         "start >= 0 and a positive duration", *where)
    half_sample = 0.5 / recording.sampling_rate
    if end > recording.duration + half_sample:
        raise InputError(f"{name} ends at {end:g} s, after the end of recording "
                         f"'{recording.id}' ({recording.duration:g} s long)", *where)
    channels = supervision.channel if isinstance(supervision.channel, list) else [supervision.channel]
    if recording.num_channels > 1 and sorted(channels) != sorted(recording.channel_ids):
        raise InputError(f"{name} is on channel(s) {channels} of the {recording.num_channels}-"
                         f"channel recording '{recording.id}': metricvox reads a recording as "
                         "the mean of its channels (make one recording per channel)", *where)
    return start, min(end, recording.duration)


def _warn_of_overlaps(segments):
    """Log how many supervisions overlap an earlier one of the same recording."""
    by_recording = {}
    for utt, (recording, start, end) in segments.items():
        by_recording.setdefault(recording, []).append((start, end, utt))
    overlaps, first = 0, None
    for recording, spans in by_recording.items():
        spans.sort()
        latest_end, latest = -1.0, None
        for start, end, utt in spans:
            if start < latest_end:
                overlaps += 1
                first = first or (latest, utt, recording)
            if end > latest_end:
                latest_end, latest = end, utt
    if overlaps:
        log.warning("%d supervisions overlap another of their recording (first: '%s' and '%s' "
                    "in '%s'): kept as overlapping segments, their shared audio is in both",
                    overlaps, *first)


def data_dir_tables(recordings, supervisions):
    """The tables of the data dir (see the module's docstring) from located lhotse items."""
    by_id = {}
    for recording, where in recordings:
        _no_whitespace(recording.id, "recording id", where)
        if recording.id in by_id:
            raise InputError(f"recording '{recording.id}' is given twice", *where)
        by_id[recording.id] = (recording, _wav_entry(recording, where))
    segments, utt2spk, texts = {}, {}, {}
    for supervision, where in supervisions:
        _no_whitespace(supervision.id, "supervision id", where)
        if supervision.id in segments:
            raise InputError(f"supervision '{supervision.id}' is given twice", *where)
        if supervision.recording_id not in by_id:
            raise InputError(f"supervision '{supervision.id}' is of recording "
                             f"'{supervision.recording_id}', which is not in the recordings", *where)
        if supervision.speaker is None:
            raise InputError(f"supervision '{supervision.id}' has no speaker", *where)
        _no_whitespace(supervision.speaker, f"speaker of supervision '{supervision.id}'", where)
        recording = by_id[supervision.recording_id][0]
        segments[supervision.id] = (recording.id, *_times(supervision, recording, where))
        utt2spk[supervision.id] = str(supervision.speaker)
        texts[supervision.id] = " ".join((supervision.text or "").split())
    if not segments:
        raise InputError("no supervision: a data dir needs utterances", recordings[0][1][0])
    _warn_of_overlaps(segments)
    utts = sorted(segments, key=c_order)
    recording_keys = sorted(by_id, key=c_order)
    whole = len(segments) == len(by_id) and all(
        segments[utt][0] == utt and segments[utt][1] == 0
        and segments[utt][2] >= by_id[utt][0].duration - 0.5 / by_id[utt][0].sampling_rate
        for utt in utts)
    tables = {
        "wav.scp": [(key, by_id[key][1]) for key in recording_keys],
        "utt2spk": [(utt, utt2spk[utt]) for utt in utts],
        "utt2dur": [(utt, _seconds(segments[utt][2] - segments[utt][1])) for utt in utts],
        "reco2dur": [(key, _seconds(by_id[key][0].duration)) for key in recording_keys],
    }
    if not whole:
        tables["segments"] = [(utt, recording, _seconds(start), _seconds(end))
                              for utt, (recording, start, end) in
                              ((utt, segments[utt]) for utt in utts)]
    if any(texts.values()):
        tables["text"] = [(utt, texts[utt]) for utt in utts]
    tables["spk2utt"] = spk2utt_rows([Row(utt, utt2spk[utt], None) for utt in utts])
    return tables


def _seconds(value):
    return repr(round(float(value), 7))
