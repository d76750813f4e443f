#!/usr/bin/env python3
"""Clip-level data dir of a recording-level one (stage 3 of run.sh): 3.5 s clips in voiced time.

    local/make_clips.py [options] SRC_DATA DEST_DATA

SRC_DATA is a data dir of local/prepare_catalogue.py (or its separated copy): wav.scp,
utt2spk (track -> singer), reco2dur and voiced. For every track, up to --clips-per-track
clips of --clip-seconds with at least --min-voiced of voiced time, at least --min-spacing
apart, drawn with --seed. DEST_DATA gets wav.scp (the tracks), segments ("clip track start
end", clips named TRACK-START with START in centiseconds), utt2spk and spk2utt. A track
without such a clip is named on stderr and skipped, with a count.
"""
import os
import sys
from collections import defaultdict

import click

from metricvox.cli import Tool
from metricvox.data.tables import c_order, read_table, write_table
from metricvox.data.voiced_clips import choose_clips, eligible_starts, parse_regions
from metricvox.errors import InputError


def _table(directory, name, **kwargs):
    path = os.path.join(directory, name)
    if not os.path.isfile(path):
        raise InputError(f"the data dir has no {name} (made by local/prepare_catalogue.py)", path)
    return path, {row.key: row for row in read_table(path, **kwargs)}


@click.command(cls=Tool, help=__doc__)
@click.option("--clip-seconds", type=float, default=3.5, show_default=True)
@click.option("--clips-per-track", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--min-voiced", type=float, default=0.5, show_default=True)
@click.option("--min-spacing", type=float, default=1.0, show_default=True,
              help="Seconds between the starts of two clips of a track.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.argument("dest", type=click.Path())
def main(clip_seconds, clips_per_track, min_voiced, min_spacing, seed, src, dest):
    _, wavs = _table(src, "wav.scp", min_fields=2)
    _, singers = _table(src, "utt2spk", min_fields=2, max_fields=2)
    dur_path, durations = _table(src, "reco2dur", min_fields=2, max_fields=2)
    voiced_path, voiced = _table(src, "voiced")
    segments, utt2spk, skipped = [], [], []
    for track in sorted(wavs, key=c_order):
        for name, table in (("utt2spk", singers), ("reco2dur", durations), ("voiced", voiced)):
            if track not in table:
                raise InputError(f"track '{track}' of wav.scp has no line in {name}",
                                 os.path.join(src, name))
        try:
            duration = float(durations[track].rest)
        except ValueError:
            raise InputError("duration must be a number", dur_path, durations[track].line) from None
        row = voiced[track]
        regions = parse_regions(row.rest.split(), voiced_path, row.line)
        starts = choose_clips(eligible_starts(regions, duration, clip_seconds, min_voiced),
                              clips_per_track, min_spacing, seed, track)
        if not starts:
            skipped.append(track)
            print(f"make_clips.py: skipping track {track}: no {clip_seconds} s clip with "
                  f"{min_voiced:.0%} voiced time", file=sys.stderr)
        for start in starts:
            clip = f"{track}-{int(round(start * 100)):06d}"
            segments.append((clip, track, f"{start:.2f}", f"{start + clip_seconds:.2f}"))
            utt2spk.append((clip, singers[track].rest))
    if not segments:
        raise InputError("no track has a clip", voiced_path)
    os.makedirs(dest, exist_ok=True)
    used = sorted({track for _, track, _, _ in segments}, key=c_order)
    write_table(os.path.join(dest, "wav.scp"), [wavs[t] for t in used])
    write_table(os.path.join(dest, "segments"), segments)
    write_table(os.path.join(dest, "utt2spk"), utt2spk)
    by_singer = defaultdict(list)
    for clip, singer in utt2spk:
        by_singer[singer].append(clip)
    write_table(os.path.join(dest, "spk2utt"),
                [(s, " ".join(by_singer[s])) for s in sorted(by_singer, key=c_order)])
    print(f"make_clips.py: {dest}: {len(segments)} clips of {len(used)} tracks"
          f"{f'; {len(skipped)} track(s) without a clip skipped' if skipped else ''}")


if __name__ == "__main__":
    main()
