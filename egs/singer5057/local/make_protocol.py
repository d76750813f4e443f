#!/usr/bin/env python3
"""The identification and verification lists of a test set (the singer paper, Sec. III B-D).

    local/make_protocol.py [options] CLIPS_DATA OUT_DIR

CLIPS_DATA is a clip-level test data dir (segments, utt2spk). Each singer's songs are
shuffled (--seed): the first --enroll-songs are enrollment songs, the others query songs.

  OUT_DIR/enroll.map       'singer clip ...': the clips of the enrollment songs, whose
                           centroid is the singer's prototype (metricvox-identify)
  OUT_DIR/query_N.map      'query singer clip ...': --queries-per-singer queries per singer
                           of N clips drawn from its query songs (metricvox-identify)
  OUT_DIR/models_N.map     'model clip ...': verification models of N enrollment-song clips
  OUT_DIR/trials_N         'model clip target|nontarget': each model against one query-song
                           clip of its singer or of another singer, --trials-per-singer per
                           singer, half of them target (metricvox-score --enroll-map)

for every N of --segments. With N = 1 the verification is the one-on-one comparison of
two single clip embeddings (Table II); N = 3, 5 give Table IV, and the query maps Table III.
A singer without enough clips for some N is left out of that N's lists, with a count.
"""
import os
import sys
import zlib
from collections import defaultdict

import click
import numpy as np

from metricvox.cli import Tool
from metricvox.data.tables import c_order, read_table, write_table
from metricvox.errors import InputError


def _draw(rng, pool, count):
    return [pool[i] for i in sorted(rng.choice(len(pool), count, replace=False))]


@click.command(cls=Tool, help=__doc__)
@click.option("--enroll-songs", type=click.IntRange(min=1), default=6, show_default=True)
@click.option("--segments", "segment_counts", default="1,3,5", show_default=True,
              help="Clips per query (identification) and per model (verification).")
@click.option("--queries-per-singer", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--trials-per-singer", type=click.IntRange(min=2), default=120, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.argument("clips", type=click.Path(exists=True, file_okay=False))
@click.argument("out", type=click.Path())
def main(enroll_songs, segment_counts, queries_per_singer, trials_per_singer, seed, clips, out):
    try:
        counts = sorted({int(n) for n in segment_counts.split(",")})
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {segment_counts!r}",
                                 param_hint="--segments") from None
    segments_path = os.path.join(clips, "segments")
    utt2spk_path = os.path.join(clips, "utt2spk")
    for path in (segments_path, utt2spk_path):
        if not os.path.isfile(path):
            raise InputError("the clip data dir has no such file (made by local/make_clips.py)", path)
    singer_of = {row.key: row.rest for row in read_table(utt2spk_path, min_fields=2, max_fields=2)}
    clips_of = defaultdict(lambda: defaultdict(list))   # singer -> track -> clips
    for row in read_table(segments_path, min_fields=4, max_fields=4):
        if row.key not in singer_of:
            raise InputError(f"clip '{row.key}' has no singer in utt2spk", segments_path, row.line)
        clips_of[singer_of[row.key]][row.fields[0]].append(row.key)

    enroll, pool = {}, {}
    for singer in sorted(clips_of, key=c_order):
        tracks = sorted(clips_of[singer], key=c_order)
        if len(tracks) < 2:
            print(f"make_protocol.py: singer {singer} has {len(tracks)} song(s) with clips; "
                  "needs 2 or more (enrollment and query songs): left out", file=sys.stderr)
            continue
        rng = np.random.default_rng([seed, zlib.crc32(singer.encode())])
        tracks = [tracks[i] for i in rng.permutation(len(tracks))]
        cut = min(enroll_songs, len(tracks) - 1)
        enroll[singer] = sorted((c for t in tracks[:cut] for c in clips_of[singer][t]), key=c_order)
        pool[singer] = sorted((c for t in tracks[cut:] for c in clips_of[singer][t]), key=c_order)
    singers = sorted(enroll, key=c_order)
    if len(singers) < 2:
        raise InputError(f"{len(singers)} singer(s) usable; identification and verification "
                         "need at least 2", segments_path)

    os.makedirs(out, exist_ok=True)
    write_table(os.path.join(out, "enroll.map"), [(s, " ".join(enroll[s])) for s in singers])
    for n in counts:
        rng = np.random.default_rng([seed, n])
        queries, models, trials, short = [], [], [], set()
        for singer in singers:
            if len(pool[singer]) >= n:
                for q in range(queries_per_singer):
                    queries.append((f"{singer}-q{n}-{q:04d}", singer, " ".join(_draw(rng, pool[singer], n))))
            else:
                short.add(singer)
            if len(enroll[singer]) < n:
                short.add(singer)
                continue
            others = [s for s in singers if s != singer]
            for t in range(trials_per_singer):
                model = f"{singer}-e{n}-{t:04d}"
                models.append((model, " ".join(_draw(rng, enroll[singer], n))))
                target = t % 2 == 0
                other = singer if target else others[rng.integers(len(others))]
                test = pool[other][rng.integers(len(pool[other]))]
                trials.append((model, test, "target" if target else "nontarget"))
        if short:
            print(f"make_protocol.py: {len(short)} singer(s) have fewer than {n} enrollment or "
                  f"query clips: left out of the {n}-segment lists", file=sys.stderr)
        if not queries or not trials:
            raise InputError(f"no singer has {n} clips in its enrollment and query songs", segments_path)
        write_table(os.path.join(out, f"query_{n}.map"), queries)
        write_table(os.path.join(out, f"models_{n}.map"), models)
        write_table(os.path.join(out, f"trials_{n}"), trials)
    print(f"make_protocol.py: {out}: {len(singers)} singers, {sum(map(len, enroll.values()))} "
          f"enrollment and {sum(map(len, pool.values()))} query clips")


if __name__ == "__main__":
    main()
