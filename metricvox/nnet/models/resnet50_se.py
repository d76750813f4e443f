"""ResNet-50 with squeeze-and-excitation attention, as in the multi-metric speaker paper.

Input: a 161-bin spectrogram (batch, 161, frames), copied into 3 channels like an image so that an
ImageNet ResNet-50 can initialise it (see ``imagenet_init``). Backbone: the standard ResNet-50
(bottleneck blocks 3/4/6/3, torchvision's layer and parameter names). The feature maps of conv-2,
conv-3 and conv-4 (``layer1``..``layer3``) each go through an SE block (paper, Eqs. 6-7):

    M = sigmoid(conv1x1(relu(conv1x1(F_i))))      F_o = F_i * M + F_i

whose 1x1 convolutions squeeze to channels / ``se_reduction`` and excite back (the paper does not
give the ratio; 16 is SENet's). The activation after the last convolution is PReLU instead of
ReLU. conv-5 is average-pooled over frequency and time, and a linear layer gives the embedding
(the paper does not state its size; ``embedding_dim``).
"""
from collections import OrderedDict

import torch
from torch import nn

from metricvox.nnet.models.features_input import features_to_image
from metricvox.nnet.models.imagenet_init import load_resnet50_imagenet

BLOCKS = (3, 4, 6, 3)
WIDTHS = (64, 128, 256, 512)
EXPANSION = 4


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand, with a projection shortcut when the shape changes."""

    def __init__(self, in_channels, width, stride, activation):
        super().__init__()
        out_channels = width * EXPANSION
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.activation = activation
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.activation(out + shortcut)


class SqueezeExcitation(nn.Module):
    """The paper's SE block: a spatial attention mask from two 1x1 convolutions, added back."""

    def __init__(self, channels, reduction):
        super().__init__()
        self.squeeze = nn.Conv2d(channels, channels // reduction, 1)
        self.excite = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x):
        mask = torch.sigmoid(self.excite(torch.relu(self.squeeze(x))))
        return x * mask + x


class ResNet50SE(nn.Module):
    """Features (batch, freq_bins, frames) -> embeddings (batch, embedding_dim)."""

    def __init__(self, freq_bins=161, embedding_dim=512, se_reduction=16, base_width=64):
        super().__init__()
        self.freq_bins = freq_bins
        self.embedding_dim = embedding_dim
        # base_width scales every stage (64 is ResNet-50 itself, the only width ImageNet
        # weights fit); narrower networks are for quick runs on small data and CPUs.
        widths = [w * base_width // 64 for w in WIDTHS]
        self.conv1 = nn.Conv2d(3, base_width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(base_width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        in_channels = base_width
        for stage, (blocks, width) in enumerate(zip(BLOCKS, widths), 1):
            layers = []
            for i in range(blocks):
                last_conv = stage == len(BLOCKS) and i == blocks - 1
                activation = nn.PReLU() if last_conv else nn.ReLU(inplace=True)
                layers.append(Bottleneck(in_channels, width, 1 if i or stage == 1 else 2, activation))
                in_channels = width * EXPANSION
            setattr(self, f"layer{stage}", nn.Sequential(*layers))
            if stage < len(BLOCKS):  # SE after conv-2, conv-3, conv-4
                setattr(self, f"se_conv{stage + 1}", SqueezeExcitation(in_channels, se_reduction))
        self.embedding = nn.Linear(in_channels, embedding_dim)

    def forward_stages(self, x):
        """The output of the stem, of each stage (after its SE block) and the embedding."""
        rows = OrderedDict()
        x = features_to_image(x, self.freq_bins, channels=3)
        x = rows["stem"] = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for stage in range(1, len(BLOCKS) + 1):
            x = getattr(self, f"layer{stage}")(x)
            if stage < len(BLOCKS):
                x = getattr(self, f"se_conv{stage + 1}")(x)
            rows[f"conv{stage + 1}"] = x
        rows["embedding"] = self.embedding(x.mean(dim=(2, 3)))
        return rows

    def forward(self, x):
        return self.forward_stages(x)["embedding"]

    def load_imagenet(self, path):
        """Initialise the backbone from a torchvision ResNet-50 state_dict file; see imagenet_init."""
        return load_resnet50_imagenet(self, path)
