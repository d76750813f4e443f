"""Validation after each epoch, best-model selection and early stopping.

The config's ``validation`` section (paths relative to where metricvox-train runs)::

    validation:
      data: data/vox1_test     # its feats.scp or wav.scp (as input.source says)
      metric: eer              # eer: cosine-scored trials; accuracy: the loss's classifier
      trials: data/vox1_test/trials   # for eer
      patience: 5              # stop after this many epochs without improvement; absent: never

``eer`` embeds every utterance of the data dir at full length, scores the trial list
by cosine similarity (through the network's own head for a double-branch Siamese
model) and takes the EER (a fraction; lower is better). ``accuracy``
embeds labelled utterances of the training classes (the data dir's labels file,
named as in ``input.labels``) and takes the top-1 accuracy of the loss's own
classifier, so it needs a loss that classifies (softmax and the margin heads).
The epoch with the best value is copied to ``best.pt``; a value counts as better
only when strictly so.
"""

import os

import numpy as np
import torch

from metricvox.backend.trial_scoring import score_trials
from metricvox.data.tables import read_table
from metricvox.data.trials import read_trials
from metricvox.errors import InputError
from metricvox.metrics import equal_error_rate
from metricvox.nnet.extraction import Embedder, extract_embeddings
from metricvox.nnet.siamese_head_scoring import SiameseScorer

METRICS = {"eer": "lower", "accuracy": "higher"}


def check_validation(section):
    """The validated ``validation`` section, or None when validation is off."""
    if not any(value is not None for value in section.values()):
        return None
    if section["metric"] not in METRICS:
        raise InputError(f"config 'validation.metric' must be one of {', '.join(METRICS)}, "
                         f"got {section['metric']!r}")
    if section["data"] is None:
        raise InputError("config 'validation' needs 'data': the data dir to validate on")
    if section["metric"] == "eer" and section["trials"] is None:
        raise InputError("config 'validation.metric: eer' needs 'trials'")
    patience = section["patience"]
    if patience is not None and (not isinstance(patience, int) or patience < 1):
        raise InputError(f"config 'validation.patience' must be a positive integer, got {patience!r}")
    return section


def better(value, best, metric):
    return best is None or (value < best if METRICS[metric] == "lower" else value > best)


def best_so_far(history, metric, patience):
    """(best epoch, its value, whether to stop) from the per-epoch figures."""
    best_epoch = best_value = None
    for figures in history:
        value = figures.get("validation")
        if value is not None and better(value, best_value, metric):
            best_epoch, best_value = figures["epoch"], value
    stop = (patience is not None and best_epoch is not None
            and history[-1]["epoch"] - best_epoch >= patience)
    return best_epoch, best_value, stop


class _Collected(dict):
    """A writer for extract_embeddings that keeps the embeddings in memory."""

    def write(self, key, array):
        self[key] = array


class Validator:
    """Computes the configured validation figure of a training run's current model."""

    def __init__(self, section, config):
        self.metric = section["metric"]
        self.patience = section["patience"]
        source = config["input"]["source"]
        table = os.path.join(section["data"], "feats.scp" if source == "feats" else "wav.scp")
        if not os.path.isfile(table):
            raise InputError(f"the validation data dir has no {os.path.basename(table)} "
                             f"(input.source is {source})", table)
        self.rspecifier, self.kind = f"scp:{table}", source
        if self.metric == "eer":
            self.trials = read_trials(section["trials"])
            self.trials_path = section["trials"]
        else:
            labels = os.path.join(section["data"], config["input"]["labels"])
            self.labels = {row.key: row.fields[0]
                           for row in read_table(labels, min_fields=2, max_fields=2)}
            self.labels_path = labels

    def embeddings(self, run):
        embedder = Embedder(run.model, run.features, run.crop_frames,
                            run.config["input"]["short"], run.seed, run.device,
                            mean_norm=run.config["input"]["mean_norm"])
        collected = _Collected()
        extract_embeddings(embedder, self.rspecifier, collected, kind=self.kind)
        return collected

    def __call__(self, run):
        try:
            embeddings = self.embeddings(run)
            if self.metric == "eer":
                scorer = "cosine"
                if hasattr(run.model, "head_logits"):
                    scorer = SiameseScorer(run.model, run.device)
                return self._eer(embeddings, scorer)
            return self._accuracy(embeddings, run)
        finally:
            run.model.train()

    def _eer(self, embeddings, metric):
        scored = score_trials(self.trials, embeddings, embeddings, metric=metric,
                              where=self.trials_path)
        is_target = {(t.enroll, t.test): t.is_target for t in self.trials}
        scores = np.array([score for _, _, score in scored])
        targets = np.array([is_target[(enroll, test)] for enroll, test, _ in scored])
        if targets.all() or not targets.any():
            raise InputError("validation trials need both target and non-target trials",
                             self.trials_path)
        eer, _ = equal_error_rate(scores[targets], scores[~targets])
        return float(eer)

    @torch.no_grad()
    def _accuracy(self, embeddings, run):
        classes = {name: i for i, name in enumerate(run.dataset.classes)}
        keys = sorted(embeddings)
        unknown = [k for k in keys if self.labels.get(k) not in classes]
        if unknown:
            raise InputError(f"{len(unknown)} validation utterances have no label or a class "
                             f"not seen in training (first: {unknown[0]})", self.labels_path)
        vectors = torch.from_numpy(np.stack([embeddings[k] for k in keys])).to(run.device)
        labels = torch.tensor([classes[self.labels[k]] for k in keys], device=run.device)
        run.loss.eval()
        output = run.loss(vectors, labels)
        if output.accuracy is None:
            raise InputError(f"validation metric 'accuracy' needs a loss that classifies; loss "
                             f"'{run.config['loss']['name']}' has no classifier (use eer)")
        return float(output.accuracy)
