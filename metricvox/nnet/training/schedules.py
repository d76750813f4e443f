"""Optimisers and learning-rate schedules from the config, stepped once per epoch.

- ``step``: multiply the rate by ``factor`` every ``every_epochs`` epochs (the singer
  paper's "decayed 5% every 10 epochs" is factor 0.95, every 10);
- ``cosine``: from ``lr`` down to ``min_lr`` over the run's epochs;
- ``none``: a constant rate.
"""

import torch

from metricvox.errors import InputError

SCHEDULES = ("step", "cosine", "none")


def build_optimiser(parameters, config):
    """Adam or SGD over ``parameters`` as ``config['optimiser']`` says."""
    options = config["optimiser"]
    if options["name"] == "adam":
        return torch.optim.Adam(parameters, lr=options["lr"], weight_decay=options["weight_decay"])
    return torch.optim.SGD(parameters, lr=options["lr"], momentum=options["momentum"],
                           weight_decay=options["weight_decay"])


def build_schedule(optimiser, config):
    """The epoch-wise scheduler of ``config['schedule']`` (call ``.step()`` after each epoch)."""
    options = config["schedule"]
    name = options["name"]
    if name == "step":
        every = options["every_epochs"]
        if not isinstance(every, int) or every < 1:
            raise InputError(f"config 'schedule.every_epochs' must be a positive integer, got {every!r}")
        factor = float(options["factor"])
        if not 0 < factor <= 1:
            raise InputError(f"config 'schedule.factor' must be in (0, 1], got {factor}")
        return torch.optim.lr_scheduler.StepLR(optimiser, step_size=every, gamma=factor)
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            optimiser, T_max=config["epochs"], eta_min=float(options["min_lr"]))
    if name == "none":
        return torch.optim.lr_scheduler.LambdaLR(optimiser, lambda epoch: 1.0)
    raise InputError(f"unknown schedule {name!r}; expected one of: {', '.join(SCHEDULES)}")
