"""Metadata lives in setup.cfg; this file only lists the command-line tools.

Every executable ``bin/metricvox-*`` is installed onto PATH, so a new tool needs
no registration beyond creating its file.
"""
from glob import glob

from setuptools import setup

setup(scripts=sorted(glob("bin/metricvox-*")))
