"""The MUSAN corpus (Snyder, Chen and Povey 2015) in its distributed layout::

    DIR/noise/{free-sound,sound-bible}/*.wav
    DIR/music/{fma,fma-western-art,hd-classical,jamendo,rfm}/*.wav
    DIR/speech/{librivox,us-gov}/*.wav

with an ANNOTATIONS file in each subfolder. Music's ANNOTATIONS lines read ``file genre
Y|N artist...``, Y marking music with vocals; Kaldi's voxceleb v2 recipe leaves those
out of its music augmentation (``vocals: false``), and so do we by default. Any subfolder
name is accepted: a subset or a stand-in of the corpus reads the same way.
"""

import os

from metricvox.errors import InputError

CATEGORIES = ("noise", "music", "speech")


def _vocal_music(annotations):
    """The file names ANNOTATIONS marks as music with vocals."""
    vocal = set()
    with open(annotations, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 3 or fields[2] not in ("Y", "N"):
                raise InputError("expected 'file genre Y|N ...' (Y: the music has vocals)",
                                 annotations, number)
            if fields[2] == "Y":
                vocal.add(fields[0])
    return vocal


def musan_files(root, category, vocals=True):
    """The sorted paths of ``root/category/<subfolder>/*.wav``; ``vocals=False`` leaves out
    the music files their ANNOTATIONS mark as having vocals. An InputError when there is
    no such file."""
    folder = os.path.join(str(root), category)
    if not os.path.isdir(folder):
        raise InputError(f"not a MUSAN directory: it has no {category}/ folder", root)
    paths = []
    for subfolder in sorted(os.listdir(folder)):
        inside = os.path.join(folder, subfolder)
        if not os.path.isdir(inside):
            continue
        names = sorted(name for name in os.listdir(inside) if name.lower().endswith(".wav"))
        annotations = os.path.join(inside, "ANNOTATIONS")
        if not vocals and os.path.isfile(annotations):
            vocal = _vocal_music(annotations)
            names = [name for name in names if os.path.splitext(name)[0] not in vocal]
        paths += [os.path.join(inside, name) for name in names]
    if not paths:
        which = "without vocals " if not vocals else ""
        raise InputError(f"no .wav files {which}in {category}/<subfolder>/ of the MUSAN directory",
                         root)
    return paths
