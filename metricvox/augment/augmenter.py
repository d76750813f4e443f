"""The augmentations of a validated ``augment`` block (:mod:`.config`), built and applied.

:class:`WaveformAugmenter` holds the waveform ones. For each crop it first draws a speed
(:meth:`~WaveformAugmenter.draw_speed`; the crop source reads as many samples as that
speed turns into a crop), then applies, in this order and each with its own probability,
reverberation, noise, music and babble; noises are added to the reverberated crop, as in
Kaldi. Every draw comes from the generator it is given, which the crop source derives
from the item's crop seed: the augmentation of an item depends only on (seed, epoch,
item), whatever the number of loader workers or training processes.
"""

import dataclasses

from metricvox.augment.additive_noise import AdditiveNoise
from metricvox.augment.audio_files import AudioFiles
from metricvox.augment.musan import musan_files
from metricvox.augment.reverberation import Reverberation
from metricvox.augment.rirs import RoomResponses
from metricvox.augment.spec_augment import SpecAugment

ORDER = ("reverb", "noise", "music", "babble")


def build_transform(name, options, section, rate):
    """The waveform transform ``name`` of the block, reading its corpus at ``rate`` Hz."""
    if name == "reverb":
        return Reverberation(RoomResponses(section["rirs"], options["rooms"], rate))
    if name == "babble":
        return AdditiveNoise(AudioFiles(musan_files(section["musan"], "speech"), rate),
                             options["snr"], options["speakers"])
    files = musan_files(section["musan"], name, vocals=options.get("vocals", True))
    return AdditiveNoise(AudioFiles(files, rate), options["snr"])


class WaveformAugmenter:
    """``augmenter(samples, rng)``: the crop with the drawn augmentations applied.

    ``transforms``: [(probability, transform)] in the order applied; ``speed``: the
    block's speed options or None."""

    def __init__(self, transforms, speed=None):
        self.transforms = transforms
        self.speed = speed

    def draw_speed(self, rng):
        """The speed factor of a crop: 1 unless speed perturbation is drawn. Always one draw
        from ``rng`` when speed is on, so the later draws do not depend on its outcome."""
        if self.speed is None or self.speed["as_classes"]:
            return 1.0
        drawn = rng.random() < self.speed["probability"]
        factor = self.speed["factors"][int(rng.integers(len(self.speed["factors"])))]
        return factor if drawn else 1.0

    def __call__(self, samples, rng):
        for probability, transform in self.transforms:
            if rng.random() < probability:
                samples = transform(samples, rng)
        return samples


@dataclasses.dataclass
class Augmentation:
    """What a crop source applies: on the waveform, on the features, and the speeds that
    make classes of their own (None for any of them that is off)."""

    waveform: WaveformAugmenter = None
    spec: SpecAugment = None
    speed_classes: list = None


def build_augmentation(section, rate=None):
    """The :class:`Augmentation` of a validated block (None: an empty one); corpora are
    read at ``rate`` Hz, the training audio's."""
    if section is None:
        return Augmentation()
    transforms = [(section[name]["probability"], build_transform(name, section[name], section, rate))
                  for name in ORDER if section.get(name)]
    speed = section.get("speed")
    waveform = WaveformAugmenter(transforms, speed) if transforms or speed else None
    spec = SpecAugment(**section["specaugment"]) if section.get("specaugment") else None
    speed_classes = speed["factors"] if speed and speed["as_classes"] else None
    return Augmentation(waveform, spec, speed_classes)
