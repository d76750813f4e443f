"""Click parameter types that several ``bin/metricvox-*`` tools share.

- :class:`NamedFile` with :func:`distinct_names`: ``NAME=FILE`` arguments (systems
  and their score files, presets and their outputs), gathered into ``{name: file}``.
- :class:`EnrollMapFile`: an ``--enroll-map`` ('model utt1 utt2 ...' per line, like
  spk2utt), read into a :class:`metricvox.data.enroll_map.EnrollMap`.
- :func:`device_option`: ``--device``, the same choice and default in every tool.

A malformed value is a usage error naming the option or argument, which
:class:`metricvox.cli.Tool` prints as one line; a bad line of a map file is an
``InputError`` at ``FILE:LINE``.
"""

import click

from metricvox.data.enroll_map import read_enroll_map
from metricvox.errors import InputError


class NamedFile(click.ParamType):
    """``NAME=FILE`` as a ``(name, file)`` pair; the first '=' splits, and neither side may be empty.

    ``metavar`` is how the value is shown in messages (e.g. ``NAME=SCORES``);
    ``names``, when given, are the only names allowed.
    """

    name = "NAME=FILE"

    def __init__(self, metavar="NAME=FILE", names=None):
        self.metavar = metavar
        self.names = None if names is None else sorted(names)

    def get_metavar(self, param, ctx=None):
        return self.metavar

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        name, equals, path = value.partition("=")
        what = self.metavar.split("=")
        if not equals:
            self.fail(f"expected {self.metavar}, got {value!r} (no '=')", param, ctx)
        if not name:
            self.fail(f"expected {self.metavar}, got {value!r} (empty {what[0]})", param, ctx)
        if not path:
            self.fail(f"expected {self.metavar}, got {value!r} (empty {what[-1]})", param, ctx)
        if self.names is not None and name not in self.names:
            self.fail(f"expected {self.metavar} with {what[0]} one of {', '.join(self.names)}, "
                      f"got {value!r}", param, ctx)
        return name, path


def distinct_names(ctx, param, pairs):
    """Click callback for a repeated :class:`NamedFile`: ``{name: file}`` in the order given.

    A name given twice is a usage error (which of its files would be meant?).
    """
    files = {}
    for name, path in pairs:
        if name in files:
            raise click.BadParameter(f"{name!r} is named twice ({files[name]} and {path})",
                                     ctx, param)
        files[name] = path
    return files


class EnrollMapFile(click.ParamType):
    """An enrollment map file, read and checked as the option is parsed."""

    name = "ENROLL_MAP"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        return read_enroll_map(value)


class Device(click.ParamType):
    """A torch device name (cpu, cuda, cuda:N), checked against this machine."""

    name = "DEVICE"

    def convert(self, value, param, ctx):
        # torch takes a second to import: only tools with --device pay for it.
        from metricvox.device import resolve_device
        try:
            return resolve_device(value)
        except InputError as error:
            self.fail(error.message, param, ctx)


def _default_device():
    from metricvox.device import default_device_name
    return default_device_name()


def device_option(what):
    """``--device`` for ``what`` runs on torch: a torch.device, by default cuda when present."""
    return click.option("--device", type=Device(), default=_default_device,
                        show_default="cuda when present, else cpu",
                        help=f"Torch device of {what}: cpu, cuda or cuda:N.")
