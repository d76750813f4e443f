"""Thin ResNet34 of the singer paper (Table I): 64 x 350 log-mel in, 512-d embedding out.

Rows of Table I, with (freq, frames, channels) after each for a 64 x 350 input:

    conv 7x7, stride (2,1)                 32 x 350 x 16
    max pool 3x3, stride (2,1)             16 x 350 x 16
    3 basic blocks, 16 ch, stride (1,2)    16 x 175 x 16
    4 basic blocks, 32 ch, stride (2,2)     8 x  88 x 32
    6 basic blocks, 64 ch, stride (2,2)     4 x  44 x 64
    3 basic blocks, 128 ch, stride (1,2)    4 x  22 x 128
    avg pool 3x1                            1 x  22 x 128
    self-attentive pooling                  128
    FC                                      512

Two readings of the table: the first convolution is listed as "7 x 7, 64" but its output has 16
channels, so it has 16 filters; the final average pooling is listed with stride (2,2) but keeps the
22 frames, so it strides over frequency only. Both follow the table's output sizes. Strided stages
stride in their first block, whose shortcut is a 1x1 convolution (as in ResNet).
"""
from collections import OrderedDict

from torch import nn

from metricvox.errors import InputError
from metricvox.nnet.models.features_input import features_to_image
from metricvox.nnet.pooling import build_pooling

STAGES = ((16, 3, (1, 2)), (32, 4, (2, 2)), (64, 6, (2, 2)), (128, 3, (1, 2)))


def conv_output_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and an identity (or 1x1 projection) shortcut."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Identity()
        if stride != (1, 1) or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class ThinResNet34(nn.Module):
    """Features (batch, freq_bins, frames) -> embeddings (batch, embedding_dim)."""

    def __init__(self, freq_bins=64, embedding_dim=512, pooling="sap"):
        super().__init__()
        self.freq_bins = freq_bins
        self.embedding_dim = embedding_dim
        self.stem = nn.Sequential(
            nn.Conv2d(1, 16, 7, (2, 1), 3, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(3, (2, 1), 1)
        freq = conv_output_size(conv_output_size(freq_bins, 7, 2, 3), 3, 2, 1)
        stages, in_channels = [], 16
        for channels, blocks, stride in STAGES:
            layers = [BasicBlock(in_channels, channels, stride)]
            layers += [BasicBlock(channels, channels, (1, 1)) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*layers))
            in_channels, freq = channels, conv_output_size(freq, 3, stride[0], 1)
        self.stages = nn.ModuleList(stages)
        self.avgpool = nn.AvgPool2d((3, 1), (2, 1))
        # What is left of the frequency axis after the average pooling joins the channels.
        self.pooled_freq = conv_output_size(freq, 3, 2, 0)
        if self.pooled_freq < 1:
            raise InputError(f"freq_bins={freq_bins} is too few for Thin ResNet34 (needs >= 33)")
        self.pooling = build_pooling(pooling, in_channels * self.pooled_freq)
        self.fc = nn.Linear(self.pooling.output_dim, embedding_dim)

    def forward_rows(self, x):
        """The output of every row of Table I, in order, as an OrderedDict of tensors."""
        rows = OrderedDict()
        x = rows["conv"] = self.stem(features_to_image(x, self.freq_bins))
        x = rows["maxpool"] = self.maxpool(x)
        for i, stage in enumerate(self.stages, 1):
            x = rows[f"stage{i}"] = stage(x)
        x = rows["avgpool"] = self.avgpool(x)
        frames = x.flatten(1, 2)  # (batch, channels x freq, frames)
        x = rows["pooling"] = self.pooling(frames)
        rows["fc"] = self.fc(x)
        return rows

    def forward(self, x):
        return self.forward_rows(x)["fc"]
