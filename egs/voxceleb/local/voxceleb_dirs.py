"""What the VoxCeleb data-prep scripts share: utterance ids and the data-dir writer.

Utterance ids are speaker-video-nnnnn, as in Kaldi's VoxCeleb recipe, so sorting
by utterance id also groups utterances by speaker.
"""

from metricvox.data.tables import write_table


def utterance_id(relative_path):
    """'id10270/x6uYqmx31kE/00001.wav' -> 'id10270-x6uYqmx31kE-00001' (.m4a alike)."""
    return relative_path.rsplit(".", 1)[0].replace("/", "-")


def write_data_dir(directory, utt2wav):
    """wav.scp (``{utt: path or 'cmd |'}``), utt2spk and spk2utt, the speaker being the id's head."""
    directory.mkdir(parents=True, exist_ok=True)
    utts = sorted(utt2wav)
    write_table(directory / "wav.scp", [(u, str(utt2wav[u])) for u in utts])
    write_table(directory / "utt2spk", [(u, u.split("-")[0]) for u in utts])
    speakers = {}
    for u in utts:
        speakers.setdefault(u.split("-")[0], []).append(u)
    write_table(directory / "spk2utt", [(s, " ".join(us)) for s, us in sorted(speakers.items())])
