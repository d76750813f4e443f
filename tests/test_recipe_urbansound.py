"""egs/urbansound8k/run.sh end to end on the mini stand-in corpus, in a scratch working
directory; its data preparation against the corpus's own metadata."""
import csv
import os
import re
import subprocess
import sys

import pytest
import yaml

from conftest import REPO

RECIPE = REPO / "egs" / "urbansound8k"
MINI_CLASSES = ("air_conditioner", "dog_bark", "jackhammer", "street_music")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A recipe directory of links to the real one, so outputs land in a temp dir."""
    work = tmp_path_factory.mktemp("urbansound")
    for name in ("run.sh", "path.sh", "cmd.sh", "conf", "local", "utils"):
        os.symlink(RECIPE / name, work / name)
    return work


@pytest.fixture(scope="module")
def corpus(workdir):
    """The mini stand-in (the recipe's stage 0 makes the same; generating it again is a no-op)."""
    path = workdir / "corpus" / "standin-mini"
    subprocess.run(["metricvox-synth-corpus", "--kind", "urbansound", "--size", "mini", "--quiet",
                    "--out", str(path)], check=True)
    return path


def _run(workdir, *args):
    return subprocess.run(["bash", str(workdir / "run.sh"), "--standin-size", "mini", *args],
                          capture_output=True, text=True, cwd=workdir)


def _local(workdir, script, *args):
    env = dict(os.environ, PYTHONPATH=f"{REPO}:{os.environ.get('PYTHONPATH', '')}")
    return subprocess.run([sys.executable, str(RECIPE / "local" / script), *map(str, args)],
                          capture_output=True, text=True, cwd=workdir, env=env)


def _percentages(text):
    return [float(v) for v in re.findall(r"(-?[\d.]+)%", text)]


def test_recipe_runs_end_to_end_and_reports_every_table(workdir):
    proc = _run(workdir)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    report = (workdir / "exp" / "RESULTS.md").read_text()
    assert report in proc.stdout
    page = (workdir / "exp" / "report.html").read_text()    # its figures embedded
    for figure in ("roc_gmm.png", "roc_svm.png", "box_systems.png", "ins.png"):
        assert f"<figcaption>exp/results/{figure}</figcaption>" in page, figure
    for heading in ("Table I: MFCC + GMM", "Table II: MFCC + SVM", "Table III: metric learning",
                    "Tukey HSD between margins", "Tukey HSD between input lengths",
                    "Baselines against the selected network", "Index of non-stationarity"):
        assert f"## {heading}" in report, heading
    # One table per system: a mean balanced accuracy and a confusion matrix in percent.
    means = re.findall(r"^balanced accuracy: mean ([\d.]+)%", report, re.M)
    assert len(means) == 3
    assert all(0.0 <= float(v) <= 100.0 for v in means)
    assert all(0.0 <= v <= 100.0 for v in _percentages(report))
    rows = re.findall(r"^(air_conditioner|dog_bark|street_music) {2,}([\d. ]+)$", report, re.M)
    assert len(rows) == 9   # three classes with test files, three tables
    for _, cells in rows:
        values = [float(v) for v in cells.split()]
        assert len(values) == len(MINI_CLASSES)
        assert sum(values) == pytest.approx(100.0, abs=0.2)   # % of each true class
    aucs = re.findall(r"^  mean +([\d.]+)$", report, re.M)
    assert len(aucs) == 3 and all(0.0 <= float(v) <= 1.0 for v in aucs)
    # INS per class and scale: the threshold and the fraction found non-stationary.
    ins = re.findall(r"^(\w+) (0\.\d+) ([\d.e+-]+) ([\d.e+-]+) ([\d.]+) (\d+)$", report, re.M)
    assert {row[0] for row in ins} == set(MINI_CLASSES)
    assert all(0.0 <= float(row[4]) <= 1.0 for row in ins)
    results = workdir / "exp" / "results"
    selected = (results / "selected_network").read_text().strip()
    for png in ("roc_gmm", "roc_svm", f"roc_{selected}_seed1", "box_systems", "box_margins",
                "box_margin_length", "ins"):
        assert (results / f"{png}.png").read_bytes()[:4] == b"\x89PNG", png
    # Every fold's balanced accuracy of every network run, as the box plots read them.
    for name in ("normsoftmax_1s", "amsoftmax_1s"):
        accuracies = (results / f"{name}.acc").read_text().split()
        assert len(accuracies) == 2 and all(0.0 <= float(v) <= 100.0 for v in accuracies)
    # Only the model used is kept of each training run.
    run = workdir / "exp" / "nnet" / "amsoftmax_1s" / "seed1" / "fold1"
    assert sorted(p.name for p in run.glob("*.pt")) == ["best.pt"]


def test_rerun_from_a_middle_stage_skips_finished_work(workdir):
    feats = workdir / "data" / "all_mel40" / "feats.scp"
    scores = workdir / "exp" / "nnet" / "normsoftmax_1s" / "seed1" / "fold1" / "scores"
    before = feats.stat().st_mtime_ns, scores.stat().st_mtime_ns
    proc = _run(workdir, "--stage", "2", "--stop-stage", "4")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "feats.scp exists, skipping" in proc.stdout
    assert (feats.stat().st_mtime_ns, scores.stat().st_mtime_ns) == before


def test_fold_data_dirs_follow_the_metadata(workdir, corpus, tmp_path):
    with open(corpus / "metadata" / "UrbanSound8K.csv", newline="") as stream:
        kept = {f"{row['class']}-{row['slice_file_name'][:-4]}": int(row["fold"])
                for row in csv.DictReader(stream)
                if row["salience"] == "1" and row["class"] in MINI_CLASSES}
    data = tmp_path / "data"
    proc = _local(workdir, "make_urbansound.py", "--classes", ",".join(MINI_CLASSES),
                  "--folds", "1,5", corpus, data)
    assert proc.returncode == 0, proc.stderr

    def utts(name):
        return {line.split()[0] for line in (data / name / "utt2label").read_text().splitlines()}

    assert utts("all") == set(kept)
    for fold in (1, 5):
        assert utts(f"fold{fold}") == {u for u, f in kept.items() if f == fold}
        assert utts(f"fold{fold}_train") == {u for u, f in kept.items() if f != fold}
        valid = utts(f"fold{fold}_valid")
        assert valid and len({kept[u] for u in valid}) == 1 and fold not in {kept[u] for u in valid}
        assert utts(f"fold{fold}_nnet") == utts(f"fold{fold}_train") - valid
    labels = dict(line.split() for line in (data / "all" / "utt2label").read_text().splitlines())
    assert all(utt.startswith(label + "-") for utt, label in labels.items())


def test_data_prep_refuses_classes_it_cannot_train(workdir, corpus, tmp_path):
    proc = _local(workdir, "make_urbansound.py", corpus, tmp_path / "data")   # the paper's eight
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert "has no slice of salience 1" in proc.stderr and "UrbanSound8K.csv" in proc.stderr
    # engine_idling's only foreground recording is in fold 6: testing on fold 6 cannot work.
    proc = _local(workdir, "make_urbansound.py", "--classes", "engine_idling,dog_bark",
                  "--folds", "6", corpus, tmp_path / "data")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "fold 6: class 'engine_idling' has no kept slice in the other folds" in proc.stderr


def test_run_config_sets_loss_length_and_validation(workdir, tmp_path):
    out = tmp_path / "run.yaml"
    proc = _local(workdir, "make_nnet_config.py", "--loss", "aamsoftmax", "--seconds", "3",
                  "--validation-data", "data/fold4_valid", RECIPE / "conf" / "mobilenet.yaml", out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().startswith(f"# made from {RECIPE / 'conf' / 'mobilenet.yaml'} by "
                                      "local/make_nnet_config.py: change settings there\n")
    config = yaml.safe_load(out.read_text())
    assert config["loss"] == {"name": "aamsoftmax"}
    assert config["input"]["crop_seconds"] == 3.0
    assert config["validation"] == {"data": "data/fold4_valid", "metric": "accuracy"}
    assert (config["model"]["name"], config["model"]["embedding_dim"]) == ("mobilenet_v1", 32)
    assert (config["optimiser"], config["epochs"]) == ({"name": "sgd", "lr": 0.005}, 20)
    proc = _local(workdir, "make_nnet_config.py", "--loss", "nosuchloss", "--seconds", "3",
                  "--validation-data", "x", RECIPE / "conf" / "mobilenet.yaml", out)
    assert proc.returncode == 1 and "unknown loss 'nosuchloss'" in proc.stderr


def test_unknown_option_is_refused(workdir):
    proc = _run(workdir, "--stgae", "2")
    assert proc.returncode != 0
    assert "unknown option --stgae" in proc.stderr
