"""MobileNet v1 backbone with average pooling and a dense embedding (acoustic-source paper).

MobileNet v1 (Howard et al., 2017): a strided 3x3 convolution, then 13 depthwise separable
convolutions (3x3 depthwise + 1x1 pointwise, each with batch norm and ReLU), channels 32 -> 1024
and five stride-2 steps. As in the paper, the classifier is replaced by a global average pooling
and a dense layer giving a 32-d embedding. The input is one channel: the feature matrix
(batch, freq_bins, frames), by default the paper's 275-d frame vectors. ``width`` is MobileNet's
width multiplier.
"""
from collections import OrderedDict

from torch import nn

from metricvox.nnet.models.features_input import features_to_image

# (output channels, stride) of the 13 depthwise separable layers of MobileNet v1.
SEPARABLE_LAYERS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def conv_bn_relu(in_channels, out_channels, kernel, stride, groups=1):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class DepthwiseSeparable(nn.Module):
    """A 3x3 convolution per channel (depthwise), then a 1x1 convolution mixing channels."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.depthwise = conv_bn_relu(in_channels, in_channels, 3, stride, groups=in_channels)
        self.pointwise = conv_bn_relu(in_channels, out_channels, 1, 1)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class MobileNetV1(nn.Module):
    """Features (batch, freq_bins, frames) -> embeddings (batch, embedding_dim)."""

    def __init__(self, freq_bins=275, embedding_dim=32, width=1.0):
        super().__init__()
        self.freq_bins = freq_bins
        self.embedding_dim = embedding_dim
        channels = max(8, int(32 * width))
        layers = OrderedDict(conv=conv_bn_relu(1, channels, 3, 2))
        for i, (out_channels, stride) in enumerate(SEPARABLE_LAYERS, 1):
            out_channels = max(8, int(out_channels * width))
            layers[f"separable{i}"] = DepthwiseSeparable(channels, out_channels, stride)
            channels = out_channels
        self.backbone = nn.Sequential(layers)
        self.embedding = nn.Linear(channels, embedding_dim)

    def forward(self, x):
        maps = self.backbone(features_to_image(x, self.freq_bins))
        return self.embedding(maps.mean(dim=(2, 3)))  # global average pooling, then dense
