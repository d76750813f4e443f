"""Spleeter's U-Net for one stem: a soft mask over the mixture's magnitude spectrogram.

Input and output are (batch, 2 channels, frames, bins) magnitudes, 512 x 1024 in
Spleeter's models (any multiple of 64 works: six stride-2 layers). The layers are
those of Spleeter's TensorFlow graph (Hennequin et al. 2020, spleeter/model/functions/unet.py):

* encoder: six 5x5 stride-2 convolutions, 16 to 512 channels, each followed by batch
  norm and a leaky ReLU (slope 0.2). The skip connections carry the convolution
  outputs *before* batch norm, and the decoder starts from the last one, as in Spleeter.
* decoder: six 5x5 stride-2 transposed convolutions (256 to 1 channels), each followed
  by ReLU then batch norm; dropout 0.5 after the first three (a no-op at inference);
  from the second on, the input is [encoder skip, previous decoder output] concatenated.
* a 4x4 convolution with dilation 2 to one mask per channel, a sigmoid, and the mask
  times the input magnitudes.

TensorFlow's "same" padding is asymmetric for these strides (one row and column
before, two after); it is reproduced exactly so that the converted weights see
the inputs they were trained on.
"""
import torch
import torch.nn.functional as F
from torch import nn

ENCODER_CHANNELS = (16, 32, 64, 128, 256, 512)
KERNEL = 5
LEAKY_SLOPE = 0.2
BATCH_NORM_EPS = 1e-3  # Keras' default, which Spleeter's layers use
DROPOUT_LAYERS = 3
# TensorFlow "same" padding of a 5x5 stride-2 layer on an even size: (before, after).
_SAME_BEFORE, _SAME_AFTER = 1, 2


class EncoderLayer(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, KERNEL, stride=2)
        self.norm = nn.BatchNorm2d(out_channels, eps=BATCH_NORM_EPS)

    def forward(self, x):
        """(convolution output for the skip connection, activation for the next layer)."""
        padding = (_SAME_BEFORE, _SAME_AFTER) * 2
        conv = self.conv(F.pad(x, padding))
        return conv, F.leaky_relu(self.norm(conv), LEAKY_SLOPE)


class DecoderLayer(nn.Module):
    def __init__(self, in_channels, out_channels, dropout):
        super().__init__()
        self.deconv = nn.ConvTranspose2d(in_channels, out_channels, KERNEL, stride=2)
        self.norm = nn.BatchNorm2d(out_channels, eps=BATCH_NORM_EPS)
        self.dropout = nn.Dropout(0.5) if dropout else nn.Identity()

    def forward(self, x):
        # The full transposed convolution is 2n+3 long; "same" keeps 2n, cropping as TF does.
        full = self.deconv(x)
        same = full[..., _SAME_BEFORE:-_SAME_AFTER, _SAME_BEFORE:-_SAME_AFTER]
        return self.dropout(self.norm(F.relu(same)))


class SpleeterUNet(nn.Module):
    """One stem's mask network; ``forward`` returns the stem's estimated magnitudes."""

    def __init__(self, channels=2):
        super().__init__()
        widths = (channels,) + ENCODER_CHANNELS
        self.encoder = nn.ModuleList(EncoderLayer(widths[i], widths[i + 1])
                                     for i in range(len(ENCODER_CHANNELS)))
        decoder = []
        outputs = ENCODER_CHANNELS[-2::-1] + (1,)  # 256, 128, 64, 32, 16, 1
        for i, out_channels in enumerate(outputs):
            # The first layer reads the bottleneck alone; the others [skip, previous] stacked.
            in_channels = ENCODER_CHANNELS[-1] if i == 0 else 2 * outputs[i - 1]
            decoder.append(DecoderLayer(in_channels, out_channels, dropout=i < DROPOUT_LAYERS))
        self.decoder = nn.ModuleList(decoder)
        self.mask_conv = nn.Conv2d(1, channels, 4, dilation=2, padding=3)

    def forward(self, magnitudes):
        skips = []
        x = magnitudes
        for layer in self.encoder:
            conv, x = layer(x)
            skips.append(conv)
        x = self.decoder[0](skips[-1])
        for layer, skip in zip(self.decoder[1:], reversed(skips[:-1])):
            x = layer(torch.cat([skip, x], dim=1))
        return torch.sigmoid(self.mask_conv(x)) * magnitudes
