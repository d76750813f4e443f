"""Embeddings from a trained checkpoint: per utterance, per segment, or K crops.

The checkpoint carries the model, the feature settings and the training crop
length (see :mod:`metricvox.nnet.training.checkpoints`), so nothing else is needed:
audio is turned into features exactly as during training, stored features are
used as they are. Three modes:

- ``utterance``: one embedding of the full-length utterance;
- ``segments``: one embedding per window of ``segment_frames`` every ``hop_frames``,
  keyed ``<utt>-<start>-<end>`` (times in centiseconds, Kaldi's segment naming); a
  last window aligned to the end covers any tail the hop leaves out;
- ``crops``: a (K, D) matrix of K crops of the training crop length, evenly spaced
  from the start to the end (the multi-metric paper's 10 test crops; metricvox-score
  averages a crop set's scores over crop pairs).

Anything shorter than the training crop is first repeated or zero-padded to it, as
the training config's ``input.short`` says, so that the model sees what it was
trained on and short utterances never crash it. With the training config's
``input.mean_norm``, every piece (utterance, segment, crop) has its per-dimension
mean over its frames subtracted, as every training crop had.
"""

import logging

import numpy as np
import soundfile
import torch

from metricvox.data.audio import iter_audio
from metricvox.data.container_audio import has_audio_stream
from metricvox.data.tables import read_table
from metricvox.errors import InputError
from metricvox.features.options import FrameOptions
from metricvox.io import is_pipe, read_matrices
from metricvox.io.specifiers import parse_rspecifier
from metricvox.nnet.models import build_model
from metricvox.nnet.training.checkpoints import load_checkpoint
from metricvox.nnet.training.data import extractor_from_settings

log = logging.getLogger(__name__)

INPUT_KINDS = ("auto", "wav", "feats")
MODES = ("utterance", "segments", "crops")


def extend_to(features, frames, short):
    """``features`` (frames x dims) repeated end to end or zero-padded to at least ``frames``."""
    total = features.shape[0]
    if total >= frames:
        return features
    if short == "repeat":
        return np.tile(features, (-(-frames // total), 1))[:frames]
    return np.pad(features, [(0, frames - total), (0, 0)])


def segment_starts(total, length, hop):
    """Start frames of windows of ``length`` every ``hop``, the last one ending at ``total``."""
    if total <= length:
        return [0]
    starts = list(range(0, total - length + 1, hop))
    if starts[-1] + length < total:
        starts.append(total - length)
    return starts


def crop_starts(total, length, count):
    """``count`` start frames spread evenly from 0 to ``total - length``."""
    return np.linspace(0, max(total - length, 0), count).round().astype(int).tolist()


class Embedder:
    """A model in eval mode, with the features it was trained on and its training crop length.

    ``Embedder.from_checkpoint(path, device)`` for a saved model; the trainer builds
    one over its live model for validation.
    """

    def __init__(self, model, features, crop_frames, short, seed, device, path=None,
                 mean_norm=False):
        self.model = model.to(device).eval()
        # A double-branch Siamese model embeds through one branch, its encoder.
        self.encode = getattr(self.model, "embed", self.model)
        self.mean_norm = mean_norm
        self.features = features
        self.crop_frames = crop_frames
        self.short = short
        self.seed = seed
        self.device = device
        self.path = path
        self.frame_shift_ms = (features["options"]["frame_shift"] if features
                               else FrameOptions.frame_shift)

    @classmethod
    def from_checkpoint(cls, path, device):
        checkpoint = load_checkpoint(path)
        model = build_model(checkpoint.model_name, **checkpoint.model_config)
        model.load_state_dict(checkpoint.model_state)
        source = checkpoint.config["input"]
        return cls(model, checkpoint.features, checkpoint.crop_frames, source["short"],
                   checkpoint.seed, device, str(path), source["mean_norm"])

    def frames_of(self, seconds):
        if not 0 < seconds < float("inf"):   # NaN fails the comparison too
            raise InputError(f"--segment-seconds and --segment-hop must be positive numbers of seconds, "
                             f"got {seconds}")
        return max(1, round(seconds * 1000.0 / self.frame_shift_ms))

    @torch.inference_mode()
    def embed_pieces(self, features, starts, length):
        """(len(starts), D) embeddings of the windows [start, start + length) of ``features``."""
        features = extend_to(features, self.crop_frames, self.short)
        length = min(length, features.shape[0])
        batch = np.stack([features[s:s + length] for s in starts])
        if self.mean_norm:
            batch = batch - batch.mean(axis=1, keepdims=True)
        batch = batch.transpose(0, 2, 1)
        batch = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).to(self.device)
        return self.encode(batch).float().cpu().numpy()

    def utterance(self, features):
        return self.embed_pieces(features, [0], max(features.shape[0], self.crop_frames))[0]

    def segments(self, key, features, segment_frames, hop_frames):
        total = features.shape[0]
        for start in segment_starts(total, segment_frames, hop_frames):
            end = min(start + segment_frames, total)
            vector = self.embed_pieces(features[start:end], [0], max(end - start, self.crop_frames))[0]
            centis = (round(start * self.frame_shift_ms / 10), round(end * self.frame_shift_ms / 10))
            yield f"{key}-{centis[0]:07d}-{centis[1]:07d}", vector

    def crops(self, features, count):
        features = extend_to(features, self.crop_frames, self.short)
        starts = crop_starts(features.shape[0], self.crop_frames, count)
        return self.embed_pieces(features, starts, self.crop_frames)


def looks_like_audio(rspecifier):
    """True when an scp's first entry is audio (a pipe or a sound file), not a feature matrix."""
    spec = parse_rspecifier(rspecifier)
    if spec.kind != "scp" or spec.path in ("-", None):
        return False
    for row in read_table(spec.path, min_fields=2):
        if is_pipe(row.rest):
            return True
        try:
            soundfile.info(row.rest)
            return True
        except Exception:  # not a file soundfile reads: an m4a or the like, or a feature matrix
            return has_audio_stream(row.rest)
    return False


def iter_features(embedder, rspecifier, kind="auto"):
    """(key, frames x dims features) of every entry of ``rspecifier``: audio or features."""
    if kind not in INPUT_KINDS:
        raise InputError(f"unknown input kind {kind!r}; expected one of {', '.join(INPUT_KINDS)}")
    if kind == "auto":
        kind = "wav" if looks_like_audio(rspecifier) else "feats"
    if kind == "feats":
        yield from read_matrices(rspecifier)
        return
    if embedder.features is None:
        raise InputError(f"the model was trained on stored features and its checkpoint holds "
                         f"no feature settings: give features (scp:feats.scp), not audio",
                         embedder.path)
    extractor = extractor_from_settings(embedder.features, embedder.seed)
    rate = int(extractor.options.sample_frequency)
    for key, samples, _rate in iter_audio(rspecifier, sample_rate=rate):
        yield key, extractor(key, samples)


def extract_embeddings(embedder, rspecifier, writer, mode="utterance", segment_frames=None,
                       hop_frames=None, num_crops=None, kind="auto", progress=iter):
    """Write the embeddings of every entry of ``rspecifier`` to ``writer``; returns the count."""
    if mode not in MODES:
        raise InputError(f"unknown extraction mode {mode!r}; expected one of {', '.join(MODES)}")
    count = 0
    bins = getattr(embedder.model, "freq_bins", None)
    for key, features in progress(iter_features(embedder, rspecifier, kind)):
        features = np.asarray(features, dtype=np.float32)
        if features.ndim != 2 or features.shape[0] == 0:
            raise InputError(f"'{key}': expected a (frames x dims) feature matrix, got shape "
                             f"{features.shape}")
        if bins is not None and features.shape[1] != bins:
            raise InputError(f"'{key}' has {features.shape[1]}-dimensional features; the model "
                             f"was trained on {bins}")
        if mode == "utterance":
            writer.write(key, embedder.utterance(features))
        elif mode == "segments":
            for segment_key, vector in embedder.segments(key, features, segment_frames, hop_frames):
                writer.write(segment_key, vector)
        else:
            writer.write(key, embedder.crops(features, num_crops))
        count += 1
    if count == 0:
        raise InputError("no utterance to embed", rspecifier)
    log.debug("embedded %d utterances (%s)", count, mode)
    return count
