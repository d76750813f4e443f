#!/usr/bin/env python3
"""VoxCeleb2's dev part as a Kaldi data directory of its m4a files.

  local/make_voxceleb2.py VOX2_DIR DATA_DIR

VOX2_DIR holds VoxCeleb2 as distributed: dev/aac/<speaker>/<video>/<nnnnn>.m4a.
Writes DATA_DIR/vox2_dev whose wav.scp names each file itself: the tools decode AAC
in-process (FFmpeg's libraries through PyAV), so neither an ffmpeg program nor one
process per file is needed, and the files are never converted to WAV on disk.
Utterance ids are speaker-video-nnnnn, as for VoxCeleb1.
"""

import sys
from pathlib import Path

import click

from metricvox.cli import Tool
from metricvox.errors import InputError
from voxceleb_dirs import utterance_id, write_data_dir


@click.command(cls=Tool, help=__doc__)
@click.argument("vox2_dir", type=click.Path(file_okay=False))
@click.argument("data_dir", type=click.Path(file_okay=False))
def main(vox2_dir, data_dir):
    aac_root = Path(vox2_dir).resolve() / "dev" / "aac"
    files = sorted(aac_root.glob("*/*/*.m4a"))
    if not files:
        raise InputError("no <speaker>/<video>/<nnnnn>.m4a files under it", aac_root)
    utt2wav = {utterance_id(str(f.relative_to(aac_root))): f for f in files}
    write_data_dir(Path(data_dir) / "vox2_dev", utt2wav)
    print(f"vox2_dev: {len(utt2wav)} utterances of {len({u.split('-')[0] for u in utt2wav})} "
          "speakers", file=sys.stderr)


if __name__ == "__main__":
    main()
