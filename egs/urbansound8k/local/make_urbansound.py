#!/usr/bin/env python3
"""UrbanSound8K as Kaldi data directories, one per cross-validation fold.

  local/make_urbansound.py [--classes a,b,...] [--salience 1] [--folds 1,2,...] CORPUS DATA

CORPUS holds UrbanSound8K as distributed: audio/fold1..fold10/<slice>.wav and
metadata/UrbanSound8K.csv (slice_file_name,fsID,start,end,salience,fold,classID,class).
Keeps the slices of --classes whose salience is --salience (1: foreground) and that last
--min-seconds at least, and writes:

  DATA/all          every kept slice: wav.scp, utt2label, utt2spk (= utt2label, so that
                    training reads the classes as speakers), spk2utt, utt2fold
  DATA/foldK        the slices of fold K (its test files)
  DATA/foldK_train  the other nine folds (the baselines' training set and the centroids')
  DATA/foldK_nnet   foldK_train without the fold the network validates on
  DATA/foldK_valid  that fold: K's successor, cyclically, on UrbanSound8K

for every fold K of --folds. Utterance ids are <class>-<slice name>, so sorting by id
groups the slices by class. The wavs keep their own rates, bit depths and channels; the
feature tools resample and average the channels when they read them. A class of --classes
without any kept slice, or a fold whose test classes the other folds lack, is an error.
"""

import csv
from pathlib import Path

import click

from metricvox.cli import Tool
from metricvox.data.tables import write_table
from metricvox.errors import InputError

NUM_FOLDS = 10
COLUMNS = ("slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class")


def read_metadata(path, classes, salience, min_seconds):
    """{utt: (wav path, class, fold)} of the slices of ``classes`` with that salience lasting
    at least ``min_seconds`` (end - start), and how many were too short."""
    audio = path.parent.parent / "audio"
    slices, short = {}, 0
    try:
        stream = open(path, newline="")
    except OSError as error:
        raise InputError(f"cannot read the metadata: {error.strerror}", path) from None
    with stream:
        reader = csv.reader(stream)
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != COLUMNS:
            raise InputError(f"expected the header {','.join(COLUMNS)}", path, 1)
        for line, fields in enumerate(reader, 2):
            if len(fields) != len(COLUMNS):
                raise InputError(f"expected {len(COLUMNS)} comma-separated fields, "
                                 f"got {len(fields)}", path, line)
            row = dict(zip(COLUMNS, (f.strip() for f in fields)))
            try:
                fold, row_salience = int(row["fold"]), int(row["salience"])
                seconds = float(row["end"]) - float(row["start"])
            except ValueError:
                raise InputError("fold and salience must be integers, start and end numbers",
                                 path, line) from None
            if not 1 <= fold <= NUM_FOLDS:
                raise InputError(f"fold must be 1 to {NUM_FOLDS}, got {fold}", path, line)
            if row["class"] not in classes or row_salience != salience:
                continue
            if seconds < min_seconds:
                short += 1
                continue
            wav = audio / f"fold{fold}" / row["slice_file_name"]
            if not wav.is_file():
                raise InputError(f"its audio {wav} does not exist", path, line)
            utt = f"{row['class']}-{Path(row['slice_file_name']).stem}"
            slices[utt] = (wav, row["class"], fold)
    return slices, short


def write_data_dir(directory, slices):
    directory.mkdir(parents=True, exist_ok=True)
    utts = sorted(slices)
    write_table(directory / "wav.scp", [(u, str(slices[u][0])) for u in utts])
    write_table(directory / "utt2label", [(u, slices[u][1]) for u in utts])
    write_table(directory / "utt2spk", [(u, slices[u][1]) for u in utts])
    write_table(directory / "utt2fold", [(u, str(slices[u][2])) for u in utts])
    by_class = {}
    for u in utts:
        by_class.setdefault(slices[u][1], []).append(u)
    write_table(directory / "spk2utt", [(c, " ".join(us)) for c, us in sorted(by_class.items())])


def classes_of(slices, folds):
    return {label for _, label, fold in slices.values() if fold in folds}


def check_fold(slices, test_fold, train_folds, metadata):
    missing = sorted(classes_of(slices, {test_fold}) - classes_of(slices, train_folds))
    if missing:
        raise InputError(f"fold {test_fold}: class '{missing[0]}' has no kept slice in the other "
                         f"folds, so it cannot be trained; leave fold {test_fold} out (--folds) "
                         f"or the class (--classes)", metadata)


def validation_fold(slices, test_fold, metadata):
    """The fold the network validates on: the first after ``test_fold`` (cyclically) with kept
    slices, all of whose classes the seven or eight folds left for training still have. On
    UrbanSound8K that is always test_fold + 1; a small stand-in may need to skip some."""
    for step in range(1, NUM_FOLDS):
        candidate = (test_fold - 1 + step) % NUM_FOLDS + 1
        rest = set(range(1, NUM_FOLDS + 1)) - {test_fold, candidate}
        held_out = classes_of(slices, {candidate})
        if held_out and held_out <= classes_of(slices, rest):
            return candidate
    raise InputError(f"fold {test_fold}: no other fold can be held out for validation without "
                     f"removing a class from training; leave fold {test_fold} out (--folds)",
                     metadata)


def parse_list(text, what):
    items = [item for item in text.replace(",", " ").split() if item]
    if not items:
        raise click.BadParameter(f"needs at least one {what}")
    return items


@click.command(cls=Tool, help=__doc__)
@click.option("--classes", default="air_conditioner,car_horn,dog_bark,drilling,engine_idling,"
              "jackhammer,siren,street_music", show_default=True,
              help="Classes to keep (comma- or space-separated).")
@click.option("--salience", type=click.IntRange(1, 2), default=1, show_default=True,
              help="1: foreground slices, 2: background ones.")
@click.option("--folds", default=",".join(map(str, range(1, NUM_FOLDS + 1))), show_default=True,
              help="Folds evaluated (test folds), comma- or space-separated.")
@click.option("--min-seconds", type=click.FloatRange(min=0), default=0.1, show_default=True,
              help="Leave out slices shorter than this (the 5-frame MFCC statistics need "
                   "9 frames of 21.3 ms at 50% overlap).")
@click.argument("corpus", type=click.Path(file_okay=False))
@click.argument("data_dir", type=click.Path(file_okay=False))
def main(classes, salience, folds, min_seconds, corpus, data_dir):
    classes = parse_list(classes, "class")
    try:
        folds = [int(f) for f in parse_list(folds, "fold")]
    except ValueError:
        raise click.BadParameter(f"--folds must be integers, got {folds!r}") from None
    if any(not 1 <= f <= NUM_FOLDS for f in folds):
        raise click.BadParameter(f"--folds must be 1 to {NUM_FOLDS}")
    metadata = Path(corpus).resolve() / "metadata" / "UrbanSound8K.csv"
    slices, short = read_metadata(metadata, set(classes), salience, min_seconds)
    if short:
        print(f"make_urbansound.py: left out {short} slice(s) shorter than {min_seconds} s")
    empty = [name for name in classes if name not in classes_of(slices, set(range(1, 11)))]
    if empty:
        raise InputError(f"class '{empty[0]}' has no slice of salience {salience} "
                         f"({len(empty)} such class(es); choose others with --classes)", metadata)
    data = Path(data_dir)
    write_data_dir(data / "all", slices)
    for fold in folds:
        others = set(range(1, NUM_FOLDS + 1)) - {fold}
        check_fold(slices, fold, others, metadata)
        validation = validation_fold(slices, fold, metadata)
        nnet_folds = others - {validation}
        write_data_dir(data / f"fold{fold}", {u: s for u, s in slices.items() if s[2] == fold})
        write_data_dir(data / f"fold{fold}_train",
                       {u: s for u, s in slices.items() if s[2] in others})
        write_data_dir(data / f"fold{fold}_nnet",
                       {u: s for u, s in slices.items() if s[2] in nnet_folds})
        write_data_dir(data / f"fold{fold}_valid",
                       {u: s for u, s in slices.items() if s[2] == validation})
    counts = {}
    for _, label, fold in slices.values():
        counts[label, fold] = counts.get((label, fold), 0) + 1
    width = max(len(c) for c in classes)
    print(f"{'slices per fold':<{width}} " + " ".join(f"{f:>4}" for f in range(1, 11)))
    for name in classes:
        print(f"{name:<{width}} " + " ".join(f"{counts.get((name, f), 0):>4}" for f in range(1, 11)))


if __name__ == "__main__":
    main()
