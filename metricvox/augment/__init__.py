"""On-the-fly data augmentation for network training, as Kaldi's voxceleb v2 recipe,
WeSpeaker and voxceleb_trainer do it: reverberation with RIRS_NOISES room responses,
noise, music and babble from MUSAN at drawn signal-to-noise ratios, speed perturbation
(plain, or each speaker x speed a class of its own), and SpecAugment masks on the features.

The pieces, each usable alone (an offline tool augments one recording with them):

- corpora: :func:`.musan.musan_files`, :func:`.rirs.room_response_files`,
  :class:`.rirs.RoomResponses`, read through :class:`.audio_files.AudioFiles` (at any rate);
- signals: :func:`.snr.noise_at_snr`, :func:`.reverberation.reverberate`,
  :func:`.speed.change_speed`, :class:`.spec_augment.SpecAugment`;
- transforms drawn per crop: :class:`.additive_noise.AdditiveNoise`,
  :class:`.reverberation.Reverberation`;
- the experiment config's ``augment`` block: :mod:`.config` (schema, checks),
  :func:`.augmenter.build_augmentation` (its :class:`.augmenter.Augmentation`), applied by
  the crop sources of :mod:`metricvox.nnet.crop_sources`; speed classes by
  :class:`.speed_classes.SpeedClassDataset`.
"""
