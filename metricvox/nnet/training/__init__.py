"""Training embedding networks: the experiment config, data, loop, checkpoints, schedules."""
