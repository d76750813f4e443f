#!/usr/bin/env python3
"""VoxCeleb2's dev part as a Kaldi data directory read through ffmpeg pipes.

  local/make_voxceleb2.py VOX2_DIR DATA_DIR

VOX2_DIR holds VoxCeleb2 as distributed: dev/aac/<speaker>/<video>/<nnnnn>.m4a.
Writes DATA_DIR/vox2_dev whose wav.scp decodes each file when it is read
('ffmpeg ... -i FILE ... - |', Kaldi's way), so the AAC files are never converted
to WAV on disk. Utterance ids are speaker-video-nnnnn, as for VoxCeleb1.
"""

import shlex
import shutil
import sys
from pathlib import Path

import click

from metricvox.cli import Tool
from metricvox.errors import InputError
from voxceleb_dirs import utterance_id, write_data_dir


def decode_command(m4a):
    """The wav.scp pipe decoding one file to 16 kHz mono 16-bit WAV on stdout."""
    return (f"ffmpeg -nostdin -loglevel error -i {shlex.quote(str(m4a))} "
            "-ac 1 -ar 16000 -f wav - |")


@click.command(cls=Tool, help=__doc__)
@click.argument("vox2_dir", type=click.Path(file_okay=False))
@click.argument("data_dir", type=click.Path(file_okay=False))
def main(vox2_dir, data_dir):
    aac_root = Path(vox2_dir).resolve() / "dev" / "aac"
    files = sorted(aac_root.glob("*/*/*.m4a"))
    if not files:
        raise InputError("no <speaker>/<video>/<nnnnn>.m4a files under it", aac_root)
    if shutil.which("ffmpeg") is None:
        raise InputError("VoxCeleb2's m4a files are read through ffmpeg, which is not on PATH "
                         "(Debian/Ubuntu: apt-get install ffmpeg)", aac_root)
    utt2wav = {utterance_id(str(f.relative_to(aac_root))): decode_command(f) for f in files}
    write_data_dir(Path(data_dir) / "vox2_dev", utt2wav)
    print(f"vox2_dev: {len(utt2wav)} utterances of {len({u.split('-')[0] for u in utt2wav})} "
          "speakers", file=sys.stderr)


if __name__ == "__main__":
    main()
