#!/usr/bin/env python3
"""One training run's YAML config: the recipe's base config with this run's loss, input
length and validation data filled in.

  local/make_nnet_config.py --loss NAME --seconds L [--validation-data DIR] BASE.yaml OUT.yaml

The base config (conf/mobilenet.yaml) holds what every run shares; the runs of the
recipe differ only in the margin loss (loss.name), the input length (input.crop_seconds,
also the segment length at test time) and the fold they validate on (validation.data,
kept only when the base config has a validation section). The loss's own options stay
those of the base config when its name is unchanged, else the registry's defaults.
"""

import click
import yaml

from metricvox.cli import Tool
from metricvox.errors import InputError
from metricvox.io.atomic import atomic_write
from metricvox.nnet.losses.registry import LOSSES
from metricvox.nnet.training.config import validate_config


@click.command(cls=Tool, help=__doc__)
@click.option("--loss", required=True, help="Loss name (metricvox/nnet/losses/registry.py).")
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), required=True,
              help="Input length in seconds.")
@click.option("--validation-data", help="Data dir the run validates on.")
@click.argument("base", type=click.Path(dir_okay=False))
@click.argument("out", type=click.Path(dir_okay=False))
def main(loss, seconds, validation_data, base, out):
    if loss not in LOSSES:
        raise InputError(f"unknown loss '{loss}'; expected one of: {', '.join(LOSSES)}")
    try:
        with open(base) as stream:
            config = yaml.safe_load(stream)
    except OSError as error:
        raise InputError(f"cannot read config: {error.strerror}", base) from None
    if not isinstance(config, dict) or not isinstance(config.get("input"), dict) \
            or not isinstance(config.get("loss"), dict):
        raise InputError("expected a training config with 'input' and 'loss' sections", base)
    if config["loss"].get("name") != loss:
        config["loss"] = {"name": loss}
    config["input"].pop("crop_frames", None)
    config["input"]["crop_seconds"] = seconds
    if isinstance(config.get("validation"), dict):
        if validation_data is None:
            raise InputError("the base config validates: give --validation-data", base)
        config["validation"]["data"] = validation_data
    validate_config(config)
    with atomic_write(out, "w") as stream:
        # An error about this file (e.g. a batch of more classes than the data have) is to
        # be fixed in the base config, which every run is made from again.
        stream.write(f"# made from {base} by local/make_nnet_config.py: change settings there\n")
        yaml.safe_dump(config, stream, default_flow_style=None, sort_keys=False)


if __name__ == "__main__":
    main()
