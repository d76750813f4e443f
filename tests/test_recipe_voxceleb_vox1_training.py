"""egs/voxceleb/run.sh with --train-set vox1_dev: validation on held-out speakers only."""
import os
import subprocess

from conftest import REPO

RECIPE = REPO / "egs" / "voxceleb"


def _first_fields(path):
    return {line.split()[0] for line in path.read_text().splitlines()}


def _run(workdir, *options):
    return subprocess.run(["bash", "run.sh", "--standin-size", "mini", "--train-set", "vox1_dev",
                           *options], capture_output=True, text=True, cwd=workdir)


def test_training_on_vox1_dev_holds_speakers_out_for_validation(tmp_path):
    for name in ("run.sh", "path.sh", "cmd.sh", "conf", "local", "utils"):
        os.symlink(RECIPE / name, tmp_path / name)
    proc = _run(tmp_path, "--dev-speakers", "3", "--stop-stage", "2")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    data = tmp_path / "data"
    spk2utt = {line.split()[0]: line.split()[1:]
               for line in (data / "vox1_dev/spk2utt").read_text().splitlines()}
    heldout = _first_fields(data / "vox1_dev/heldout_speakers")
    assert len(heldout) == 3 and heldout < set(spk2utt)
    # Every development trial is between held-out speakers' utterances, and none of them
    # is in the training set, whose features are all there.
    heldout_utts = {u for s in heldout for u in spk2utt[s]}
    trials = [line.split() for line in (data / "vox1_dev/trials_dev").read_text().splitlines()]
    assert trials and all(a in heldout_utts and b in heldout_utts for a, b, _ in trials)
    assert any(t == "target" for _, _, t in trials)
    train_utts = _first_fields(data / "vox1_dev_train/utt2spk")
    assert train_utts == {u for s in set(spk2utt) - heldout for u in spk2utt[s]}
    for input in ("", "_mel80", "_spec161"):
        assert _first_fields(data / f"vox1_dev_train{input}/feats.scp") == train_utts
    # VoxCeleb1 dev's features are computed once: its training part holds no ark of its own.
    assert not list((tmp_path / "mfcc").glob("*vox1_dev_train*"))

    # The speakers are held out once: a rerun that asks for another count is refused before
    # any stage, the draw untouched; the same count, or none, goes on.
    drawn = (data / "vox1_dev/heldout_speakers").read_text()
    proc = _run(tmp_path, "--dev-speakers", "2", "--stage", "9")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == ("run.sh: data/vox1_dev/heldout_speakers holds out 3 speakers, not "
                           "--dev-speakers 2; remove data/ and exp/ to draw them again\n")
    assert (data / "vox1_dev/heldout_speakers").read_text() == drawn
    for options in (["--dev-speakers", "3"], []):
        proc = _run(tmp_path, *options, "--stage", "9")
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
