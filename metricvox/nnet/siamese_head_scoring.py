"""Trial scores straight from a double-branch Siamese network (the Siamese paper's Sec. 2.1).

The network encodes both utterances with one shared encoder and scores the
concatenated encodings with its FC head. ``metricvox-extract`` writes the encoder's
output for such a model, so scoring a trial needs only the head: the score of two
crop sets is the mean, over all their crop pairs, of the head's output.

The score is the head's log-odds (the value before the sigmoid), not the sigmoid
probability the paper reads off: the two rank trials identically (same EER and DET
curve), but probabilities of confident pairs round to 1.000000 in a score file and
tie, while log-odds stay distinct and suit score fusion.
"""

import numpy as np
import torch

from metricvox.backend.similarity import as_crops
from metricvox.errors import InputError
from metricvox.nnet.models import build_model
from metricvox.nnet.training.checkpoints import load_checkpoint


class SiameseScorer:
    """The double-branch network's head as a back end (the interface of
    :class:`metricvox.backend.similarity.SimilarityScorer`): ``pair_scores`` gives the
    head's log-odds of each enrollment row against its test row, ``row_scores`` those of
    every enrollment row against every test row."""

    def __init__(self, model, device="cpu"):
        if not hasattr(model, "head_logits"):
            raise InputError(f"a {type(model).__name__} has no pair head to score with")
        self.model = model.to(device).eval()
        self.device = torch.device(device)
        self.dim = model.embedding_dim

    @classmethod
    def from_checkpoint(cls, path, device="cpu"):
        if path is None:
            raise InputError("--backend siamese needs --model (a siamese_pair checkpoint)")
        checkpoint = load_checkpoint(path)
        if checkpoint.model_name != "siamese_pair":
            raise InputError(f"the siamese backend needs a siamese_pair model; the checkpoint "
                             f"holds {checkpoint.model_name}", path)
        model = build_model(checkpoint.model_name, **checkpoint.model_config)
        model.load_state_dict(checkpoint.model_state)
        return cls(model, device)

    def prepare(self, embedding, key=None):
        rows = as_crops(embedding, key)
        if rows.shape[1] != self.dim:
            raise InputError(f"the embedding of '{key}' has dimension {rows.shape[1]}, the "
                             f"Siamese head takes {self.dim} (extract with the same model)")
        return rows

    def row_scores(self, enroll_rows, num_utts, test_rows):
        scores = self.pair_scores(np.repeat(enroll_rows, len(test_rows), axis=0), num_utts,
                                  np.tile(test_rows, (len(enroll_rows), 1)))
        return scores.reshape(len(enroll_rows), len(test_rows))

    @torch.inference_mode()
    def pair_scores(self, enroll_rows, num_utts, test_rows):
        logits = self.model.head_logits(
            torch.as_tensor(enroll_rows, dtype=torch.float32, device=self.device),
            torch.as_tensor(test_rows, dtype=torch.float32, device=self.device))
        return logits.double().cpu().numpy().reshape(len(enroll_rows))
