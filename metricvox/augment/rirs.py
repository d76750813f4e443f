"""Room impulse responses from RIRS_NOISES (Ko et al. 2017) in its distributed layout::

    DIR/simulated_rirs/{smallroom,mediumroom,largeroom}/RoomNNN/*.wav   (+ rir_list)
    DIR/real_rirs_isotropic_noises/*.wav                                (+ rir_list, noise_list)

A room set is one of the three simulated sizes or ``real``. The real folder holds measured
responses and isotropic noise recordings side by side: its ``rir_list`` (Kaldi's
``... path`` lines, the file name last) says which files are responses; without one,
every .wav the folder's ``noise_list`` does not name is taken. Kaldi's voxceleb v2 recipe
draws from the small and medium simulated rooms, half the time each: a response is drawn
by picking a set uniformly, then a file of it.
"""

import os

from metricvox.augment.audio_files import AudioFiles
from metricvox.errors import InputError

SIMULATED = ("smallroom", "mediumroom", "largeroom")
ROOM_SETS = SIMULATED + ("real",)
REAL_FOLDER = "real_rirs_isotropic_noises"


def _listed_names(list_path):
    """{file name: line} of the files a Kaldi rir_list or noise_list names (its last field)."""
    names = {}
    with open(list_path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                names[os.path.basename(line.split()[-1])] = number
    return names


def _real_files(folder):
    rir_list = os.path.join(folder, "rir_list")
    present = sorted(name for name in os.listdir(folder) if name.lower().endswith(".wav"))
    if os.path.isfile(rir_list):
        listed = _listed_names(rir_list)
        for name, line in listed.items():
            if name not in present:
                raise InputError(f"lists {name}, which is not in {folder}", rir_list, line)
        return [os.path.join(folder, name) for name in sorted(listed)]
    noise_list = os.path.join(folder, "noise_list")
    noises = _listed_names(noise_list) if os.path.isfile(noise_list) else {}
    return [os.path.join(folder, name) for name in present if name not in noises]


def room_response_files(root, room_set):
    """The sorted paths of the responses of ``room_set``; an InputError when it has none."""
    if room_set in SIMULATED:
        folder = os.path.join(str(root), "simulated_rirs", room_set)
        rooms = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        paths = [os.path.join(folder, room, name) for room in rooms
                 if os.path.isdir(os.path.join(folder, room))
                 for name in sorted(os.listdir(os.path.join(folder, room)))
                 if name.lower().endswith(".wav")]
        where = f"simulated_rirs/{room_set}/RoomNNN/"
    else:
        folder = os.path.join(str(root), REAL_FOLDER)
        paths = _real_files(folder) if os.path.isdir(folder) else []
        where = f"{REAL_FOLDER}/"
    if not paths:
        raise InputError(f"no room responses (.wav files) in {where} of the RIRS_NOISES directory",
                         root)
    return paths


class RoomResponses:
    """The responses of ``room_sets`` under ``root``, read at ``rate`` Hz."""

    def __init__(self, root, room_sets, rate):
        self.sets = [AudioFiles(room_response_files(root, name), rate) for name in room_sets]

    def draw(self, rng):
        """A response drawn uniformly from a set drawn uniformly; InputError for a silent one."""
        files = self.sets[int(rng.integers(len(self.sets)))]
        index = int(rng.integers(len(files)))
        response = files.whole(index)
        if not (response != 0).any():
            raise InputError("the room response is silent (all samples zero)", files.paths[index])
        return response
