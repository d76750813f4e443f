#!/usr/bin/env python3
"""Recording-level data dirs of a singer catalogue (stage 1 of run.sh).

    local/prepare_catalogue.py [options] CORPUS DATA

CORPUS holds catalogue.csv (columns singer,track,album,set; set is train or test),
audio/SINGER/TRACK.mp3 and, optionally, phrases/SINGER/TRACK.txt ("onset offset" in
seconds per sung phrase). Writes DATA/{train,valid,test_seen,test_unseen}/ with wav.scp
(the MP3 itself; features resample it to 16 kHz), utt2spk and spk2utt (one utterance per
track, its speaker the singer), reco2dur, and voiced: each track's phrases, or the voiced
runs of an energy VAD (--mfcc-config, --vad-config) when it has no phrase file.

A seen singer (one with train tracks) has them split train/validation (--valid-fraction,
seeded per singer); its test tracks go to test_seen. Singers with test tracks only are
test_unseen. Bad tracks (audio missing or not decodable, shorter than a clip, or no clip
with --min-voiced of phrase/VAD time) are named on stderr, listed in DATA/bad_tracks and
skipped, with a count.
"""
import csv
import logging
import os
import sys
import zlib
from collections import Counter, defaultdict

import click
import numpy as np

from metricvox.cli import Tool
from metricvox.conf import read_conf
from metricvox.data.audio import read_audio, resample
from metricvox.data.tables import c_order, write_table
from metricvox.data.voiced_clips import eligible_starts, format_regions, read_phrases
from metricvox.errors import InputError
from metricvox.features.extraction import FeatureExtractor
from metricvox.features.vad import compute_vad, voiced_runs
from metricvox.worker_pool import ordered_map

log = logging.getLogger("prepare_catalogue")
SETS = ("train", "test")
VAD_OPTIONS = {"vad-energy-threshold": "energy_threshold",
               "vad-energy-mean-scale": "energy_mean_scale",
               "vad-frames-context": "frames_context",
               "vad-proportion-threshold": "proportion_threshold"}


def read_catalogue(corpus):
    """[(singer, track, set, line)] of catalogue.csv."""
    path = os.path.join(corpus, "catalogue.csv")
    if not os.path.isfile(path):
        raise InputError("no catalogue.csv in the corpus (see egs/singer5057/README.md)", path)
    with open(path, newline="") as stream:
        reader = csv.DictReader(stream)
        missing = {"singer", "track", "set"} - set(reader.fieldnames or ())
        if missing:
            raise InputError(f"catalogue.csv lacks column(s) {', '.join(sorted(missing))}; "
                             "expected singer,track,album,set", path, 1)
        rows, seen = [], set()
        for row in reader:
            line = reader.line_num
            singer, track, subset = row["singer"].strip(), row["track"].strip(), row["set"].strip()
            if not singer or not track or any(c.isspace() or c in "/-" for c in singer + track):
                raise InputError(f"singer and track names must be non-empty, without spaces, "
                                 f"'/' or '-': got {singer!r}, {track!r}", path, line)
            if subset not in SETS:
                raise InputError(f"set must be train or test, got {subset!r}", path, line)
            if (singer, track) in seen:
                raise InputError(f"track {singer}/{track} is listed twice", path, line)
            seen.add((singer, track))
            rows.append((singer, track, subset, line))
    if not rows:
        raise InputError("catalogue.csv lists no track", path)
    return rows


def vad_settings(mfcc_config, vad_config):
    extractor = FeatureExtractor.from_settings("mfcc", config=mfcc_config)
    options = {}
    for setting in read_conf(vad_config):
        if setting.name not in VAD_OPTIONS:
            raise InputError(f"unknown VAD option --{setting.name}; expected one of "
                             f"{', '.join('--' + k for k in VAD_OPTIONS)}", setting.path, setting.line)
        try:
            value = float(setting.value)
        except ValueError:
            raise InputError(f"--{setting.name} must be a number", setting.path, setting.line) from None
        options[VAD_OPTIONS[setting.name]] = int(value) if setting.name == "vad-frames-context" else value
    return extractor, options


def vad_regions(samples, rate, extractor, vad_options, key):
    """[(start, end)] runs of voiced frames of an energy VAD (column 0 of ``extractor``'s features)."""
    target = int(extractor.options.sample_frequency)
    if rate != target:
        samples = resample(samples, rate, target)
    vad = compute_vad(extractor(key, samples), **vad_options)
    return voiced_runs(vad, extractor.options.frame_shift / 1000.0)


def examine(job):
    """(key, audio path, duration, voiced regions, region source) of a track, or (key, reason)."""
    corpus, singer, track, clip_seconds, min_voiced, mfcc_config, vad_config = job
    key = f"{singer}-{track}"
    audio = os.path.abspath(os.path.join(corpus, "audio", singer, f"{track}.mp3"))
    if not os.path.isfile(audio):
        return key, "audio file missing"
    try:
        samples, rate = read_audio(audio)
    except InputError as error:
        return key, f"audio not decodable ({error.message})"
    duration = len(samples) / rate
    if duration < clip_seconds:
        return key, f"{duration:.2f} s long, shorter than a {clip_seconds} s clip"
    phrases = os.path.join(corpus, "phrases", singer, f"{track}.txt")
    if os.path.isfile(phrases):
        regions, source = read_phrases(phrases, duration), "phrases"
    else:
        extractor, options = vad_settings(mfcc_config, vad_config)
        regions, source = vad_regions(samples, rate, extractor, options, key), "vad"
    if len(eligible_starts(regions, duration, clip_seconds, min_voiced)) == 0:
        return key, (f"no {clip_seconds} s clip with {min_voiced:.0%} voiced "
                     f"({'phrase time stamps' if source == 'phrases' else 'energy VAD'})")
    return key, audio, duration, regions, source


def split_train(tracks, valid_fraction, seed):
    """{singer: (train keys, valid keys)}, seeded per singer."""
    out = {}
    for singer, keys in sorted(tracks.items()):
        rng = np.random.default_rng([seed, zlib.crc32(singer.encode())])
        keys = sorted(keys)
        order = [keys[i] for i in rng.permutation(len(keys))]
        n_valid = int(round(valid_fraction * len(keys)))
        if len(keys) >= 2:
            n_valid = min(max(n_valid, 1), len(keys) - 1)
        else:
            n_valid = 0
        out[singer] = (order[n_valid:], order[:n_valid])
    return out


def write_set(directory, keys, info):
    os.makedirs(directory, exist_ok=True)
    keys = sorted(keys, key=c_order)
    write_table(os.path.join(directory, "wav.scp"), [(k, info[k][0]) for k in keys])
    write_table(os.path.join(directory, "utt2spk"), [(k, k.split("-")[0]) for k in keys])
    by_singer = defaultdict(list)
    for k in keys:
        by_singer[k.split("-")[0]].append(k)
    write_table(os.path.join(directory, "spk2utt"),
                [(s, " ".join(by_singer[s])) for s in sorted(by_singer, key=c_order)])
    write_table(os.path.join(directory, "reco2dur"), [(k, f"{info[k][1]:.3f}") for k in keys])
    write_table(os.path.join(directory, "voiced"), [(k, format_regions(info[k][2])) for k in keys])


@click.command(cls=Tool, help=__doc__)
@click.option("--clip-seconds", type=float, default=3.5, show_default=True)
@click.option("--min-voiced", type=float, default=0.5, show_default=True,
              help="Fraction of a clip that must be phrase (or VAD-voiced) time.")
@click.option("--valid-fraction", type=float, default=0.2, show_default=True)
@click.option("--mfcc-config", default="conf/mfcc_vad.conf", show_default=True,
              help="MFCC options of the VAD fallback (c0 is the energy).")
@click.option("--vad-config", default="conf/vad.conf", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--nj", type=click.IntRange(min=1), default=1, show_default=True)
@click.argument("corpus", type=click.Path(exists=True, file_okay=False))
@click.argument("data", type=click.Path())
def main(clip_seconds, min_voiced, valid_fraction, mfcc_config, vad_config, seed, nj, corpus, data):
    rows = read_catalogue(corpus)
    vad_settings(mfcc_config, vad_config)  # a bad conf fails here, not in a worker
    jobs = [(corpus, singer, track, clip_seconds, min_voiced, mfcc_config, vad_config)
            for singer, track, _, _ in rows]
    results = list(ordered_map(examine, jobs, nj))
    info, bad, sources = {}, [], Counter()
    for result in results:
        if len(result) == 2:
            bad.append(result)
            print(f"prepare_catalogue.py: skipping track {result[0]}: {result[1]}", file=sys.stderr)
        else:
            key, audio, duration, regions, source = result
            info[key] = (audio, duration, regions)
            sources[source] += 1
    os.makedirs(data, exist_ok=True)
    write_table(os.path.join(data, "bad_tracks"), bad)
    train, test = defaultdict(list), defaultdict(list)
    for singer, track, subset, _ in rows:
        key = f"{singer}-{track}"
        if key in info:
            (train if subset == "train" else test)[singer].append(key)
    split = split_train(train, valid_fraction, seed)
    sets = {"train": [k for t, _ in split.values() for k in t],
            "valid": [k for _, v in split.values() for k in v],
            "test_seen": [k for s in test if s in train for k in test[s]],
            "test_unseen": [k for s in test if s not in train for k in test[s]]}
    for name, keys in sets.items():
        if not keys:
            raise InputError(f"no usable track for {name}: the catalogue needs train tracks of "
                             "seen singers, test tracks of some of them and of unseen singers",
                             os.path.join(corpus, "catalogue.csv"))
        write_set(os.path.join(data, name), keys, info)
    singers = {name: len({k.split('-')[0] for k in keys}) for name, keys in sets.items()}
    print(f"prepare_catalogue.py: {len(info)} of {len(rows)} tracks usable ({sources['phrases']} with "
          f"phrase time stamps, {sources['vad']} with VAD regions); {len(bad)} bad track(s) skipped"
          f"{' (listed in ' + os.path.join(data, 'bad_tracks') + ')' if bad else ''}")
    print("prepare_catalogue.py: " + ", ".join(
        f"{name} {len(keys)} tracks of {singers[name]} singers" for name, keys in sets.items()))


if __name__ == "__main__":
    main()
