"""Plain softmax classification head: a linear layer and cross-entropy.

The supervised baseline of the Siamese paper (Sec. 4, "Baseline (Softmax)") and the
softmax term of the multi-metric paper's Eq. (14). Any batch layout works: each
row is classified on its own.
"""

import torch
import torch.nn.functional as F

from .batch import LossOutput, check_embeddings


class SoftmaxLoss(torch.nn.Module):
    rows_independent = True  # a mean of per-row terms: micro batches accumulate it

    def __init__(self, embedding_dim, num_classes):
        super().__init__()
        self.classifier = torch.nn.Linear(embedding_dim, num_classes)

    def forward(self, embeddings, labels):
        check_embeddings(embeddings, labels)
        logits = self.classifier(embeddings)
        return LossOutput(F.cross_entropy(logits, labels), logits, labels)
