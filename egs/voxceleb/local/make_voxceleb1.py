#!/usr/bin/env python3
"""VoxCeleb1 as Kaldi data directories.

  local/make_voxceleb1.py [--condition NAME] VOX1_DIR DATA_DIR

VOX1_DIR holds VoxCeleb1 as distributed: wav/<speaker>/<video>/<nnnnn>.wav and the
trial lists veri_test.txt (required), veri_test2.txt, list_test_all2.txt and
list_test_hard2.txt (where present). Writes DATA_DIR/vox1_dev (the speakers of no
trial list of the original test split), DATA_DIR/vox1_test (the speakers of
veri_test.txt) with 'trials' = veri_test.txt and 'trials_veri_test2' when present,
and DATA_DIR/vox1_all with the -E and -H lists, which span all of VoxCeleb1.
Utterance ids are speaker-video-nnnnn, as in Kaldi's VoxCeleb recipe.

With --condition NAME, VOX1_DIR is a copy of the test set in another condition (such
as the stand-in's vox1_noisy): DATA_DIR/vox1_test_NAME gets the recordings of the
speakers of its veri_test.txt, as utterances speaker-video-nnnnn-NAME (so that they
can be scored together with the clean ones), with 'trials' = its veri_test.txt.
"""

import re
import sys
from pathlib import Path

import click

from metricvox.cli import Tool
from metricvox.data.tables import write_table
from metricvox.data.trials import read_trials
from metricvox.errors import InputError
from voxceleb_dirs import utterance_id, write_data_dir

TEST_LISTS = ("veri_test.txt", "veri_test2.txt")
FULL_LISTS = ("list_test_all2.txt", "list_test_hard2.txt")


def read_voxceleb_trials(path, known, suffix=""):
    """A VoxCeleb trial list as Kaldi trials '(enroll, test, target|nontarget)' of utterance ids
    (each ending in ``suffix``)."""
    trials = []
    for trial in read_trials(path):
        for name in (trial.enroll, trial.test):
            if utterance_id(name) + suffix not in known:
                raise InputError(f"{name} is not in the corpus", path, trial.line)
        trials.append((utterance_id(trial.enroll) + suffix, utterance_id(trial.test) + suffix,
                       "target" if trial.is_target else "nontarget"))
    return trials


@click.command(cls=Tool, help=__doc__)
@click.option("--condition", help="VOX1_DIR is the test set in this condition (a name: a-z, 0-9, _).")
@click.argument("vox1_dir", type=click.Path(file_okay=False))
@click.argument("data_dir", type=click.Path(file_okay=False))
def main(vox1_dir, data_dir, condition):
    vox1, data = Path(vox1_dir).resolve(), Path(data_dir)
    if condition is not None and not re.fullmatch(r"[a-z0-9_]+", condition):
        raise InputError(f"--condition must be a name of a-z, 0-9 and _, got {condition!r}")
    suffix = "" if condition is None else "-" + condition
    wav_root = vox1 / "wav"
    wavs = sorted(wav_root.glob("*/*/*.wav"))
    if not wavs:
        raise InputError("no <speaker>/<video>/<nnnnn>.wav files under it", wav_root)
    utt2wav = {utterance_id(str(w.relative_to(wav_root))) + suffix: w for w in wavs}
    if not (vox1 / TEST_LISTS[0]).is_file():
        raise InputError("VoxCeleb1's trial list is missing", vox1 / TEST_LISTS[0])
    if condition is not None:
        trials = read_voxceleb_trials(vox1 / TEST_LISTS[0], utt2wav, suffix)
        speakers = {u.split("-")[0] for pair in trials for u in pair[:2]}
        target = data / f"vox1_test_{condition}"
        write_data_dir(target, {u: w for u, w in utt2wav.items() if u.split("-")[0] in speakers})
        write_table(target / "trials", trials)
        print(f"{target.name}: {len(trials)} trials from {vox1 / TEST_LISTS[0]}", file=sys.stderr)
        return

    lists = {name: read_voxceleb_trials(vox1 / name, utt2wav)
             for name in TEST_LISTS + FULL_LISTS if (vox1 / name).is_file()}
    test_speakers = {u.split("-")[0] for trials in (lists[n] for n in TEST_LISTS if n in lists)
                     for pair in trials for u in pair[:2]}
    split = {"vox1_dev": {u: w for u, w in utt2wav.items() if u.split("-")[0] not in test_speakers},
             "vox1_test": {u: w for u, w in utt2wav.items() if u.split("-")[0] in test_speakers}}
    if any(n in lists for n in FULL_LISTS):
        split["vox1_all"] = utt2wav
    for name, utts in split.items():
        write_data_dir(data / name, utts)
        print(f"{name}: {len(utts)} utterances of {len({u.split('-')[0] for u in utts})} speakers",
              file=sys.stderr)
    for name, trials in lists.items():
        target = data / ("vox1_test" if name in TEST_LISTS else "vox1_all")
        file_name = "trials" if name == TEST_LISTS[0] else "trials_" + name[:-len(".txt")]
        write_table(target / file_name, trials)
        print(f"{target.name}/{file_name}: {len(trials)} trials from {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
