"""Tiny MUSAN and RIRS_NOISES directories in the real layouts, for the augmentation tests."""
import numpy as np
import soundfile

RATE = 16000


def _write(path, samples, rate=RATE):
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, samples, rate, subtype="FLOAT")
    return path


def write_musan(root, seed=0):
    """noise/free-sound (2 files), music/fma (one with vocals, one without), speech/librivox
    (3 files, one shorter than a crop), each subfolder with its ANNOTATIONS."""
    rng = np.random.default_rng(seed)
    for number in range(2):
        _write(root / "noise/free-sound" / f"noise-free-sound-000{number}.wav", rng.normal(0, 0.1, RATE))
    (root / "noise/free-sound/ANNOTATIONS").write_text("noise-free-sound-0000 ambience\n"
                                                        "noise-free-sound-0001 ambience\n")
    time = np.arange(2 * RATE) / RATE
    _write(root / "music/fma/music-fma-0000.wav", 0.3 * np.sin(2 * np.pi * 220 * time))
    _write(root / "music/fma/music-fma-0001.wav", 0.3 * np.sin(2 * np.pi * 330 * time))
    (root / "music/fma/ANNOTATIONS").write_text("music-fma-0000 Rock Y Some_Band\n"
                                                 "music-fma-0001 Classical N Some_Composer\n")
    for number, seconds in enumerate((1.0, 1.5, 0.2)):
        _write(root / "speech/librivox" / f"speech-librivox-000{number}.wav",
               rng.normal(0, 0.05, int(RATE * seconds)))
    (root / "speech/librivox/ANNOTATIONS").write_text("speech-librivox-0000 english male\n")
    return root


def decaying_response(rng, length, peak):
    """A room response: silence, a direct path at ``peak``, then a decaying tail."""
    response = np.zeros(length)
    response[peak] = 1.0
    tail = np.arange(length - peak - 1)
    response[peak + 1:] = 0.3 * rng.normal(size=len(tail)) * np.exp(-tail / (0.05 * RATE))
    return response


def write_rirs(root, seed=0):
    """simulated_rirs/{smallroom,mediumroom}/Room001 with 2 responses each (with rir_list), and
    real_rirs_isotropic_noises with a response and an isotropic noise (rir_list, noise_list)."""
    rng = np.random.default_rng(seed)
    for room in ("smallroom", "mediumroom"):
        lines = []
        for number in (1, 2):
            name = f"Room001-0000{number}.wav"
            _write(root / "simulated_rirs" / room / "Room001" / name,
                   decaying_response(rng, RATE // 4, 20 + number))
            lines.append(f"--rir-id {room}-Room001-0000{number} --room-id {room}-Room001 "
                         f"RIRS_NOISES/simulated_rirs/{room}/Room001/{name}\n")
        (root / "simulated_rirs" / room / "rir_list").write_text("".join(lines))
    real = root / "real_rirs_isotropic_noises"
    _write(real / "RVB2014_type1_rir_largeroom1_near_angla.wav", decaying_response(rng, RATE, 40))
    _write(real / "RVB2014_type1_noise_largeroom1_1.wav", rng.normal(0, 0.1, RATE))
    (real / "rir_list").write_text("--rir-id largeroom1-near --room-id largeroom1 "
                                   "RIRS_NOISES/real_rirs_isotropic_noises/RVB2014_type1_rir_largeroom1_near_angla.wav\n")
    (real / "noise_list").write_text("--noise-id largeroom1-1 --noise-type isotropic "
                                     "RIRS_NOISES/real_rirs_isotropic_noises/RVB2014_type1_noise_largeroom1_1.wav\n")
    return root
