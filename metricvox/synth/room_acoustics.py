"""Shoebox rooms and their impulse responses, by room-size category.

A :class:`Room` is a length x width x height box with one absorption coefficient for
all walls; its RT60 is Eyring's, 0.161 V / (-S ln(1 - a)). A source at distance r
from the receiver hears the direct sound at r / c seconds, and a direct-to-reverberant
ratio of 20 log10(r_c / r) dB, r_c = 0.057 sqrt(V / RT60) the room's critical
distance. The impulse response is :func:`metricvox.synth.room.impulse_response`'s
(direct path, then a tail decaying with the RT60) after that propagation delay.

The categories are those of RIRS_NOISES's simulated set (Ko et al., ICASSP 2017):
small rooms 1-10 m long and wide, medium 10-30 m, large 30-50 m, all 2-5 m high,
absorption 0.2-0.8; larger rooms have the longer RT60s.
"""
from dataclasses import dataclass

import numpy as np

from metricvox.synth import room

SPEED_OF_SOUND = 343.0  # m/s
CATEGORIES = {"smallroom": (1.0, 10.0), "mediumroom": (10.0, 30.0), "largeroom": (30.0, 50.0)}
HEIGHT = (2.0, 5.0)
ABSORPTION = (0.2, 0.8)
MAX_SECONDS = 2.0        # longest tail kept (the largest, hardest rooms reach about 1.7 s)
WALL_CLEARANCE = 0.25    # m: source and receiver stay this far from every wall
MAX_REFLECTION = 0.9     # largest tail sample, relative to the direct path


@dataclass(frozen=True)
class Room:
    length: float
    width: float
    height: float
    absorption: float

    @property
    def volume(self):
        return self.length * self.width * self.height

    @property
    def surface(self):
        return 2 * (self.length * self.width + self.width * self.height + self.height * self.length)

    @property
    def rt60(self):
        return 0.161 * self.volume / (-self.surface * np.log(1.0 - self.absorption))

    @property
    def critical_distance(self):
        return 0.057 * np.sqrt(self.volume / self.rt60)


def random_room(rng, category):
    """A room of ``category`` (a key of CATEGORIES)."""
    low, high = CATEGORIES[category]
    return Room(length=float(rng.uniform(low, high)), width=float(rng.uniform(low, high)),
                height=float(rng.uniform(*HEIGHT)), absorption=float(rng.uniform(*ABSORPTION)))


def random_distance(rng, shoebox):
    """Distance between a receiver and a source at random places in ``shoebox``."""
    size = np.array([shoebox.length, shoebox.width, shoebox.height])
    places = rng.uniform(WALL_CLEARANCE, np.maximum(size - WALL_CLEARANCE, WALL_CLEARANCE + 1e-3), (2, 3))
    return float(max(np.linalg.norm(places[0] - places[1]), 0.1))


def impulse_response(shoebox, distance, sample_rate, rng):
    """The response at ``distance`` m in ``shoebox``: silence for the travel time, then the
    direct path (the peak) and the room's tail; scaled to unit energy."""
    delay = int(round(distance / SPEED_OF_SOUND * sample_rate))
    drr_db = 20.0 * np.log10(shoebox.critical_distance / distance)
    response = room.impulse_response(sample_rate, shoebox.rt60, drr_db, rng, max_seconds=MAX_SECONDS)
    # Every reflection comes from an image source further away than the real one, so none
    # is as loud as the direct sound: the direct path stays the peak.
    tail_peak = np.max(np.abs(response[1:]))
    if tail_peak > MAX_REFLECTION:
        response[1:] *= MAX_REFLECTION / tail_peak
    response = np.concatenate([np.zeros(delay), response])
    return response / np.sqrt(np.sum(response ** 2))


def random_impulse_response(rng, category, sample_rate):
    """(room, distance, response) of a random room of ``category``."""
    shoebox = random_room(rng, category)
    distance = random_distance(rng, shoebox)
    return shoebox, distance, impulse_response(shoebox, distance, sample_rate, rng)
