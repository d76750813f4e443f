"""The VGG-style CNN encoder of the unsupervised Siamese paper (its Table 1).

80 log-mel bins x N frames in; three blocks of two 3x3 convolutions (128, 256, 512 channels,
stride 1) and a 2x2 max pooling; self-attentive pooling over the N/8 frames of the 512 x 10 maps;
FC 1024; FC 400. Every convolution and FC layer is followed by ReLU, as the paper states.

Not in the table: batch norm after each convolution (``batch_norm=True``, on by default because
it makes training from scratch far less fragile; it changes no size). The attention of the
pooling works on 5120-d frame vectors; its hidden size is ``attention_dim``. ``channels``
sets the three blocks' widths (the paper's 128/256/512 by default; narrower for quick runs).
"""
from torch import nn

from metricvox.errors import InputError
from metricvox.nnet.models.features_input import features_to_image
from metricvox.nnet.pooling import build_pooling

BLOCK_CHANNELS = (128, 256, 512)


def conv_relu(in_channels, out_channels, batch_norm):
    layers = [nn.Conv2d(in_channels, out_channels, 3, 1, 1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class VGGEncoder(nn.Module):
    """Features (batch, freq_bins, frames >= 8) -> embeddings (batch, embedding_dim)."""

    min_frames = 8  # three 2x2 max poolings

    def __init__(self, freq_bins=80, embedding_dim=400, hidden_dim=1024, pooling="sap",
                 attention_dim=512, batch_norm=True, channels=BLOCK_CHANNELS):
        super().__init__()
        if len(channels) != 3:
            raise InputError(f"channels must give the widths of the 3 blocks, got {list(channels)}")
        if freq_bins < 8:
            raise InputError(f"freq_bins={freq_bins} is too few for the VGG encoder (needs >= 8)")
        self.freq_bins = freq_bins
        self.embedding_dim = embedding_dim
        # The layers of Table 1 under its own names, in order.
        self.cnn = nn.ModuleDict()
        in_channels = 1
        for block, width in enumerate(channels, 1):
            self.cnn[f"conv{block}-1"] = conv_relu(in_channels, width, batch_norm)
            self.cnn[f"conv{block}-2"] = conv_relu(width, width, batch_norm)
            self.cnn[f"mpool-{block}"] = nn.MaxPool2d(2, 2)
            in_channels = width
        # SAP pools the frames; each frame vector is the last block's channels x freq_bins/8 bins.
        self.pooling = build_pooling(pooling, in_channels * (freq_bins // 8), attention_dim)
        self.fc1 = nn.Sequential(nn.Linear(self.pooling.output_dim, hidden_dim), nn.ReLU(inplace=True))
        self.fc2 = nn.Sequential(nn.Linear(hidden_dim, embedding_dim), nn.ReLU(inplace=True))

    def forward_layers(self, x):
        """The output of every layer of Table 1, by the table's names, in order."""
        outputs = {}
        x = features_to_image(x, self.freq_bins, self.min_frames)
        for name, layer in self.cnn.items():
            x = outputs[name] = layer(x)
        x = outputs["sap"] = self.pooling(x.flatten(1, 2))
        x = outputs["fc-1"] = self.fc1(x)
        outputs["fc-2"] = self.fc2(x)
        return outputs

    def forward(self, x):
        return self.forward_layers(x)["fc-2"]
