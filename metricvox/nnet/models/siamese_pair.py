"""The double-branch Siamese network of the unsupervised Siamese paper (its Fig. 1).

Both utterances of a pair go through one shared VGG encoder; the two encodings are concatenated
and scored by five FC layers (ReLU between them) ending in one unit with a sigmoid: the
probability that the pair is [anchor, client] rather than [anchor, impostor]. The paper does not
give the hidden sizes of the five layers; ``head_sizes`` sets them (four hidden widths).

``embed`` is one branch (what ``metricvox-extract`` writes for this model) and
``head_logits`` the head on two such encodings, so trials score through the whole
network from extracted embeddings. ``forward`` returns the sigmoid score the paper uses for trials; ``pair_logits`` returns the value
before the sigmoid, which a binary cross-entropy loss should take (``BCEWithLogitsLoss``) for
numerical stability. The two sides may have different lengths.
"""
import torch
from torch import nn

from metricvox.errors import InputError
from metricvox.nnet.models.vgg_encoder import BLOCK_CHANNELS, VGGEncoder


class SiamesePair(nn.Module):
    """Scores a pair of feature batches (batch, freq_bins, frames_a), (batch, freq_bins, frames_b)."""

    def __init__(self, freq_bins=80, embedding_dim=400, hidden_dim=1024, pooling="sap",
                 attention_dim=512, batch_norm=True, head_sizes=(512, 256, 128, 64),
                 channels=BLOCK_CHANNELS):
        super().__init__()
        if len(head_sizes) != 4:
            raise InputError(f"head_sizes must give the 4 hidden widths of the 5 FC layers, "
                             f"got {list(head_sizes)}")
        self.encoder = VGGEncoder(freq_bins, embedding_dim, hidden_dim, pooling, attention_dim,
                                  batch_norm, channels)
        self.embedding_dim = embedding_dim
        self.freq_bins = freq_bins
        layers, width = [], 2 * embedding_dim
        for size in head_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(inplace=True)]
            width = size
        layers.append(nn.Linear(width, 1))
        self.head = nn.Sequential(*layers)

    def embed(self, x):
        """One branch: the encoder's embeddings of a feature batch."""
        return self.encoder(x)

    def pair_logits(self, first, second):
        if first.shape[0] != second.shape[0]:
            raise InputError(f"a pair needs as many items on both sides, got {first.shape[0]} "
                             f"and {second.shape[0]}")
        return self.head_logits(self.encoder(first), self.encoder(second))

    def head_logits(self, first_embeddings, second_embeddings):
        """The head alone, on encodings already computed (scoring trials from extracted embeddings)."""
        return self.head(torch.cat([first_embeddings, second_embeddings], dim=-1)).squeeze(-1)

    def forward(self, first, second):
        return torch.sigmoid(self.pair_logits(first, second))
