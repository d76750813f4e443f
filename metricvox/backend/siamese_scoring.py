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

from metricvox.errors import InputError
from metricvox.nnet.models import build_model
from metricvox.nnet.training.checkpoints import load_checkpoint


class SiameseScorer:
    """``scorer(a, b)``: mean head log-odds of the crop sets ``a`` (K_a, D) and ``b`` (K_b, D)."""

    def __init__(self, model, device="cpu"):
        if not hasattr(model, "head_logits"):
            raise InputError(f"a {type(model).__name__} has no pair head to score with")
        self.model = model.to(device).eval()
        self.device = torch.device(device)
        self.dim = model.embedding_dim

    @classmethod
    def from_checkpoint(cls, path, device="cpu"):
        saved = load_checkpoint(path)["model"]
        if saved["name"] != "siamese_pair":
            raise InputError(f"the siamese backend needs a siamese_pair model; the checkpoint "
                             f"holds {saved['name']}", path)
        model = build_model(saved["name"], **saved["config"])
        model.load_state_dict(saved["state"])
        return cls(model, device)

    @torch.inference_mode()
    def __call__(self, a, b):
        if a.shape[1] != self.dim or b.shape[1] != self.dim:
            raise InputError(f"embeddings of dimension {a.shape[1]} and {b.shape[1]} do not fit "
                             f"the Siamese head, which takes {self.dim} (extract them with the "
                             "same model)")
        first = torch.as_tensor(np.repeat(a, len(b), axis=0), dtype=torch.float32, device=self.device)
        second = torch.as_tensor(np.tile(b, (len(a), 1)), dtype=torch.float32, device=self.device)
        return float(self.model.head_logits(first, second).double().mean())
