"""Multi-class results over cross-validation folds, as the acoustic-source paper reports them.

Each fold is a class score file (:mod:`metricvox.classify.class_scores`) of that
fold's test files, judged against one truth ``utt2label``:

- balanced accuracy of each fold (the mean of the per-class recalls,
  scikit-learn's ``balanced_accuracy_score``), their mean and sample standard
  deviation (ddof 1; none for one fold) -- the paper's 'average balanced accuracy';
- the confusion matrix pooled over folds, each row in percent of its true
  class's files (Tables I-III); the mean of its diagonal is the pooled
  balanced accuracy;
- per-class one-against-the-rest ROC AUC of the class's scores over all the
  folds' files pooled (Figs. 4-6), and their mean over the classes.

Percentages are 0-100 in the text and the confusion table; the JSON form keeps
accuracies and AUCs as fractions (as scikit-learn gives them) and the confusion
matrix both as counts and as row percentages.
"""

import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import balanced_accuracy_score, confusion_matrix, roc_auc_score

from metricvox.errors import InputError

log = logging.getLogger(__name__)


@dataclass
class Fold:
    path: str
    utts: list
    truth: np.ndarray        # (N,) index of each file's true class
    scores: np.ndarray       # (N, C), columns in the report's class order
    balanced_accuracy: float

    @property
    def predictions(self):
        return np.argmax(self.scores, axis=1)


@dataclass
class Report:
    classes: list
    folds: list
    confusion_counts: np.ndarray    # (C, C), rows true, columns predicted, folds pooled
    auc: list                       # per class, None when undefined (no positives or negatives)

    @property
    def accuracies(self):
        return [fold.balanced_accuracy for fold in self.folds]

    @property
    def mean_accuracy(self):
        return float(np.mean(self.accuracies))

    @property
    def std_accuracy(self):
        return float(np.std(self.accuracies, ddof=1)) if len(self.folds) > 1 else None

    @property
    def confusion_percent(self):
        """Rows in percent of their true class; NaN for a class with no test file."""
        totals = self.confusion_counts.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals > 0, 100.0 * self.confusion_counts / totals, np.nan)

    @property
    def pooled_accuracy(self):
        return float(np.nanmean(np.diag(self.confusion_percent)) / 100.0)

    @property
    def mean_auc(self):
        defined = [value for value in self.auc if value is not None]
        return float(np.mean(defined)) if defined else None


def fold_of(class_scores, truth, classes):
    """A :class:`Fold` from a ClassScores and the UttLabels ``truth``, scores in ``classes`` order.

    Errors at ``file:line``: a scored class not in ``classes``, a class of
    ``classes`` not scored, a scored file missing from the truth, a true class
    not in ``classes``.
    """
    path = class_scores.path
    index = {name: i for i, name in enumerate(classes)}
    for name in class_scores.classes:
        if name not in index:
            raise InputError(f"unknown class '{name}' (the classes are {', '.join(classes)})",
                             path, (class_scores.class_lines or {}).get(name))
    absent = [name for name in classes if name not in class_scores.classes]
    if absent:
        raise InputError(f"no scores for class '{absent[0]}'", path)
    columns = [class_scores.classes.index(name) for name in classes]
    truth_index = []
    for utt in class_scores.utts:
        label = truth.labels.get(utt)
        if label is None:
            raise InputError(f"utterance '{utt}' is not in {truth.path}", path,
                             (class_scores.utt_lines or {}).get(utt))
        if label not in index:
            raise truth.error(utt, f"class '{label}' of '{utt}' is not among the scored classes "
                                   f"({', '.join(classes)})")
        truth_index.append(index[label])
    truth_index = np.array(truth_index)
    scores = class_scores.scores[:, columns]
    with warnings.catch_warnings():
        # A fold may lack a class; the recall is then averaged over the classes it has.
        warnings.simplefilter("ignore")
        accuracy = balanced_accuracy_score(truth_index, np.argmax(scores, axis=1))
    return Fold(path, list(class_scores.utts), truth_index, scores, float(accuracy))


def classification_report(folds, classes, truth=None):
    """The :class:`Report` of several :class:`Fold` s (each file scored in one fold only)."""
    if not folds:
        raise InputError("no score files")
    seen = {}
    for fold in folds:
        for utt in fold.utts:
            if utt in seen:
                raise InputError(f"utterance '{utt}' is scored in {seen[utt]} too: folds must "
                                 "not share test files", fold.path)
            seen[utt] = fold.path
    if truth is not None and len(seen) < len(truth.labels):
        log.info("%d of %d files of %s are in no score file", len(truth.labels) - len(seen),
                 len(truth.labels), truth.path)
    labels = list(range(len(classes)))
    counts = sum(confusion_matrix(f.truth, f.predictions, labels=labels) for f in folds)
    truth_all = np.concatenate([f.truth for f in folds])
    scores_all = np.concatenate([f.scores for f in folds])
    auc = []
    for c in labels:
        positives = truth_all == c
        defined = 0 < positives.sum() < positives.size
        auc.append(float(roc_auc_score(positives, scores_all[:, c])) if defined else None)
    return Report(list(classes), list(folds), np.asarray(counts), auc)


def _percent(value):
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{100 * value:.2f}%"


def confusion_table(report):
    """The pooled confusion matrix as text: rows true classes, columns predicted, in percent."""
    names = report.classes
    first = max(len("true\\predicted"), *(len(n) for n in names))
    width = max(6, *(len(n) for n in names))
    lines = ["true\\predicted".ljust(first) + "".join(" " + n.rjust(width) for n in names)]
    for name, row in zip(names, report.confusion_percent):
        cells = "".join(" " + ("-" if math.isnan(v) else f"{v:.1f}").rjust(width) for v in row)
        lines.append(name.ljust(first) + cells)
    return "\n".join(lines) + "\n"


def format_report(report):
    """The human-readable report."""
    lines = []
    for number, fold in enumerate(report.folds, start=1):
        lines.append(f"fold {number} ({fold.path}): balanced accuracy "
                     f"{_percent(fold.balanced_accuracy)} over {len(fold.utts)} files")
    std = report.std_accuracy
    lines.append(f"balanced accuracy: mean {_percent(report.mean_accuracy)}"
                 + ("" if std is None else f", std {_percent(std)}")
                 + f" over {len(report.folds)} fold(s); pooled {_percent(report.pooled_accuracy)}")
    lines.append("confusion matrix, % of each true class (rows true, columns predicted), "
                 "folds pooled:")
    lines.append(confusion_table(report).rstrip("\n"))
    lines.append("ROC AUC, each class against the rest, folds pooled:")
    width = max(len(n) for n in report.classes)
    for name, value in zip(report.classes, report.auc):
        lines.append(f"  {name.ljust(width)} " + ("-" if value is None else f"{value:.4f}"))
    mean_auc = report.mean_auc
    lines.append(f"  {'mean'.ljust(width)} " + ("-" if mean_auc is None else f"{mean_auc:.4f}"))
    return "\n".join(lines) + "\n"


def report_json(report):
    """The report as a JSON-ready dict (fractions for accuracies and AUCs)."""
    percent = report.confusion_percent
    return {
        "classes": report.classes,
        "folds": [{"scores": f.path, "num_files": len(f.utts),
                   "balanced_accuracy": f.balanced_accuracy} for f in report.folds],
        "balanced_accuracy_mean": report.mean_accuracy,
        "balanced_accuracy_std": report.std_accuracy,
        "balanced_accuracy_pooled": report.pooled_accuracy,
        "confusion_counts": report.confusion_counts.astype(int).tolist(),
        "confusion_percent": [[None if math.isnan(v) else float(v) for v in row]
                              for row in percent],
        "auc": dict(zip(report.classes, report.auc)),
        "auc_mean": report.mean_auc,
    }
