"""Class score files and metricvox-classification-report, against results worked out by hand."""
import json
import math

import numpy as np
import pytest

from conftest import assert_one_line_error
from metricvox.classify.class_scores import read_class_scores, write_class_scores
from metricvox.data.utt_labels import read_utt2label
from metricvox.errors import InputError
from metricvox.reports.classification_report import fold_of

CLASSES = ["a", "b", "c"]
TRUTH = {"u1": "a", "u2": "a", "u3": "a", "u4": "b", "u5": "b", "u6": "c"}
# Predicted (best-scoring) classes: a a b | b c | c.
PREDICTED = {"u1": "a", "u2": "a", "u3": "b", "u4": "b", "u5": "c", "u6": "c"}


def _write_truth(path, labels):
    path.write_text("".join(f"{u} {labels[u]}\n" for u in sorted(labels)))
    return path


def _scores_for(predicted, seed=0):
    """A score matrix whose best class is ``predicted`` for every utterance."""
    rng = np.random.default_rng(seed)
    utts = sorted(predicted)
    matrix = rng.uniform(-1, 0, size=(len(utts), len(CLASSES)))
    for i, utt in enumerate(utts):
        matrix[i, CLASSES.index(predicted[utt])] = 1.0 + rng.uniform()
    return utts, matrix


def test_scores_round_trip_sorted_and_predictions(tmp_path):
    path = tmp_path / "scores"
    write_class_scores(path, ["z", "y"], ["k", "j"], [[1.0, 2.0], [3.0, -4.5]])
    assert path.read_text().splitlines() == ["y j -4.5", "y k 3", "z j 2", "z k 1"]
    scores = read_class_scores(path)
    assert scores.utts == ["y", "z"] and scores.classes == ["j", "k"]
    np.testing.assert_array_equal(scores.scores, [[-4.5, 3.0], [2.0, 1.0]])
    assert list(scores.predictions()) == [1, 0]


def test_balanced_accuracy_and_confusion_by_hand(tool, tmp_path):
    truth = _write_truth(tmp_path / "utt2label", TRUTH)
    utts, matrix = _scores_for(PREDICTED)
    write_class_scores(tmp_path / "scores", utts, CLASSES, matrix)
    proc = tool("metricvox-classification-report", "--utt2label", truth, "--json",
                tmp_path / "r.json", "--confusion", tmp_path / "conf", "--accuracies",
                tmp_path / "acc", tmp_path / "scores")
    report = json.loads((tmp_path / "r.json").read_text())
    # Recalls: a 2/3, b 1/2, c 1/1.
    expected = (2 / 3 + 1 / 2 + 1) / 3
    assert report["folds"][0]["balanced_accuracy"] == pytest.approx(expected)
    assert report["balanced_accuracy_mean"] == pytest.approx(expected)
    assert report["balanced_accuracy_std"] is None
    assert report["confusion_counts"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    np.testing.assert_allclose(report["confusion_percent"],
                               [[200 / 3, 100 / 3, 0], [0, 50, 50], [0, 0, 100]])
    assert f"{100 * expected:.2f}%" in proc.stdout.decode()
    rows = (tmp_path / "conf").read_text().splitlines()
    assert rows[1].split() == ["a", "66.7", "33.3", "0.0"]
    assert float((tmp_path / "acc").read_text()) == pytest.approx(100 * expected, abs=1e-4)


def test_folds_mean_std_and_pooled_confusion(tool, tmp_path):
    truth = _write_truth(tmp_path / "utt2label", {**TRUTH, "v1": "a", "v2": "b", "v3": "c",
                                                   "v4": "c"})
    utts, matrix = _scores_for(PREDICTED)
    write_class_scores(tmp_path / "fold1", utts, CLASSES, matrix)
    utts, matrix = _scores_for({"v1": "a", "v2": "a", "v3": "c", "v4": "b"}, seed=1)
    write_class_scores(tmp_path / "fold2", utts, CLASSES, matrix)
    tool("metricvox-classification-report", "--utt2label", truth, "--classes", "c,b,a",
         "--json", tmp_path / "r.json", "--roc", tmp_path / "roc.png",
         tmp_path / "fold1", tmp_path / "fold2")
    report = json.loads((tmp_path / "r.json").read_text())
    first, second = (2 / 3 + 1 / 2 + 1) / 3, (1 + 0 + 1 / 2) / 3
    assert [f["balanced_accuracy"] for f in report["folds"]] == pytest.approx([first, second])
    assert report["balanced_accuracy_mean"] == pytest.approx((first + second) / 2)
    assert report["balanced_accuracy_std"] == pytest.approx(abs(first - second) / math.sqrt(2))
    # Classes in the --classes order c, b, a; rows true, columns predicted, both folds summed.
    assert report["classes"] == ["c", "b", "a"]
    assert report["confusion_counts"] == [[2, 1, 0], [1, 1, 1], [0, 1, 3]]
    assert (tmp_path / "roc.png").read_bytes()[:4] == b"\x89PNG"


def test_auc_by_hand(tool, tmp_path):
    # Class a: positives u1, u2 score 0.9, 0.4 for a; negatives 0.5, 0.1, 0.3.
    # Pairs ranked right: 0.9 beats all 3, 0.4 beats 0.1 and 0.3: AUC = 5/6.
    truth = _write_truth(tmp_path / "utt2label",
                         {"u1": "a", "u2": "a", "u3": "b", "u4": "b", "u5": "b"})
    score_a = {"u1": 0.9, "u2": 0.4, "u3": 0.5, "u4": 0.1, "u5": 0.3}
    lines = [f"{u} a {score_a[u]}\n{u} b 0.45\n" for u in sorted(score_a)]
    (tmp_path / "scores").write_text("".join(lines))
    tool("metricvox-classification-report", "--utt2label", truth, "--json",
         tmp_path / "r.json", tmp_path / "scores")
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["auc"]["a"] == pytest.approx(5 / 6)
    # Class b's scores are all tied: chance level.
    assert report["auc"]["b"] == pytest.approx(0.5)


@pytest.mark.parametrize("content, extra, fragments", [
    ("u1 a 1\nu1 b 0\nzz a 1\nzz b 0\n", [], ["scores:3", "'zz' is not in"]),
    ("u1 a 1\nu1 b 0\nu1 c 2\n", ["--classes", "a,b"], ["scores:3", "unknown class 'c'"]),
    ("u1 a 1\nu1 b nan\n", [], ["scores:2", "not a finite number"]),
    ("", [], ["scores", "no scores in file"]),
])
def test_report_errors(tool, tmp_path, content, extra, fragments):
    truth = _write_truth(tmp_path / "utt2label", TRUTH)
    (tmp_path / "scores").write_text(content)
    proc = tool("metricvox-classification-report", "--utt2label", truth, *extra,
                tmp_path / "scores", check=False)
    assert_one_line_error(proc, *fragments)


@pytest.mark.parametrize("content, fragments", [
    ("u1 a 1\nu1 b\n", ["scores:2", "expected 'utt class score'"]),
    ("u1 a 1\nu1 b 0\nu4 a 1\n", ["scores:3", "no score for class 'b'"]),
    ("u1 a 1\nu1 a 2\n", ["scores:2", "scored twice"]),
    ("u1 a 1\nu1 b inf\n", ["scores:2", "not a finite number"]),
])
def test_score_file_errors(tmp_path, content, fragments):
    (tmp_path / "scores").write_text(content)
    with pytest.raises(InputError) as caught:
        read_class_scores(tmp_path / "scores")
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_true_class_not_scored_and_empty_truth(tmp_path):
    (tmp_path / "scores").write_text("u1 a 1\nu1 b 0\nu2 a 1\nu2 b 0\n")
    truth = read_utt2label(_write_truth(tmp_path / "utt2label", {"u1": "a", "u2": "zzz"}))
    with pytest.raises(InputError, match="utt2label:2: class 'zzz'"):
        fold_of(read_class_scores(tmp_path / "scores"), truth, ["a", "b"])
    (tmp_path / "empty").write_text("")
    with pytest.raises(InputError, match="empty: no utterances"):
        read_utt2label(tmp_path / "empty")
