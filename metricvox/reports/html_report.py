"""A recipe's results as one self-contained HTML page (exp/report.html).

The page holds RESULTS.md rendered (:mod:`metricvox.reports.markdown_html`), the figures
embedded as ``data:`` URIs (PNG, JPEG or SVG, so that the file can be mailed and opened
anywhere: it fetches nothing), the settings of the recipe's runs and the time each stage
took. The last two come from the files the recipes' stage helpers append to
(egs/utils/stage_helpers.sh), tab-separated with a header line:

- run_settings.tsv, ``run option value``: per run of run.sh (named by its UTC start time),
  its command line (option ``command``) and the value of each of its options;
- stage_times.tsv, ``run stage wall_seconds cpu_seconds``: per finished stage.
"""

import base64
import html
import os
import string
from dataclasses import dataclass

from metricvox.data.tables import iter_lines
from metricvox.errors import InputError
from metricvox.reports.markdown_html import html_table, markdown_html

SETTINGS_HEADER = ("run", "option", "value")
STAGE_TIMES_HEADER = ("run", "stage", "wall_seconds", "cpu_seconds")
# Suffix: (MIME type, whether bytes are a whole file of the type: its first and last bytes).
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
FIGURE_TYPES = {
    "png": ("image/png", lambda data: data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(_PNG_END)),
    "jpg": ("image/jpeg", lambda data: data.startswith(b"\xff\xd8\xff") and data.endswith(b"\xff\xd9")),
    "svg": ("image/svg+xml", lambda data: b"<svg" in data[:4096] and data.rstrip().endswith(b"</svg>")),
}
FIGURE_TYPES["jpeg"] = FIGURE_TYPES["jpg"]


@dataclass
class StageTime:
    run: str
    stage: str
    wall_seconds: int
    cpu_seconds: int


def read_tsv(path, header):
    """The rows (lists of ``len(header)`` fields, line numbers kept) of a file starting with
    the tab-separated ``header``."""
    rows = []
    for line_no, text in iter_lines(path):
        fields = text.split("\t")
        if line_no == 1:
            if tuple(fields) != header:
                raise InputError(f"expected the header line {chr(9).join(header)!r} "
                                 f"(tab-separated), got {text!r}", path, line_no)
            continue
        if len(fields) != len(header):
            raise InputError(f"expected {len(header)} tab-separated fields "
                             f"({', '.join(header)}), got {len(fields)}", path, line_no)
        rows.append((line_no, fields))
    if not rows:
        raise InputError(f"no {header[0]} recorded (header line only, or an empty file)", path)
    return rows


def read_settings(path):
    """``{run: [(option, value)]}`` in the file's order."""
    runs = {}
    for _, (run, option, value) in read_tsv(path, SETTINGS_HEADER):
        runs.setdefault(run, []).append((option, value))
    return runs


def read_stage_times(path):
    """The :class:`StageTime` records, in the file's order."""
    times = []
    for line_no, (run, stage, wall, cpu) in read_tsv(path, STAGE_TIMES_HEADER):
        seconds = []
        for name, value in (("wall_seconds", wall), ("cpu_seconds", cpu)):
            if not value.isdigit():
                raise InputError(f"{name} must be a whole number of seconds, got {value!r}",
                                 path, line_no)
            seconds.append(int(value))
        times.append(StageTime(run, stage, *seconds))
    return times


def figure_uri(path):
    """A ``data:`` URI of the figure file ``path`` (PNG, JPEG or SVG, by its suffix)."""
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if suffix not in FIGURE_TYPES:
        raise InputError(f"unsupported figure type '.{suffix}': expected one of "
                         f"{', '.join('.' + s for s in FIGURE_TYPES)}", path)
    mime, is_whole = FIGURE_TYPES[suffix]
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        raise InputError(f"cannot open figure: {error.strerror}", path) from None
    if not is_whole(data):
        raise InputError(f"not a whole {suffix.upper()} file (its first or last bytes are not "
                         "those of one: another format, or cut short)", path)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _minutes(seconds):
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _settings_html(runs):
    """The last run's command line and options; the command lines of the runs before it."""
    last = list(runs)[-1]
    options = [(o, v) for o, v in runs[last] if o != "command"]
    commands = [(run, dict(settings).get("command", "")) for run, settings in runs.items()]
    parts = [f"<p>The last run, started {html.escape(last)}:</p>",
             f"<pre>{html.escape(commands[-1][1])}</pre>",
             html_table(["option", "value"],
                        [[html.escape("--" + o.replace("_", "-")), html.escape(v)] for o, v in options],
                        numeric_columns=())]
    if len(commands) > 1:
        parts.append("<p>Earlier runs:</p>")
        parts.append(html_table(["started (UTC)", "command"],
                                [[html.escape(run), f"<code>{html.escape(command)}</code>"]
                                 for run, command in commands[:-1]], numeric_columns=()))
    return "\n".join(parts)


def _timings_html(times):
    """A row per finished stage, in the order they ran, each run's rows followed by their sum."""
    runs = {}
    for record in times:
        runs.setdefault(record.run, []).append(record)
    rows = []
    for run, records in runs.items():
        rows += [[html.escape(run), html.escape(r.stage), _minutes(r.wall_seconds),
                  _minutes(r.cpu_seconds)] for r in records]
        rows.append([html.escape(run), "<strong>all</strong>"]
                    + [f"<strong>{_minutes(sum(seconds))}</strong>" for seconds in
                       zip(*((r.wall_seconds, r.cpu_seconds) for r in records))])
    note = ("<p>Wall and CPU time of each stage as run.sh measured it (CPU: this machine's, "
            "not that of jobs sent to a cluster); a rerun stage skips finished work.</p>")
    return note + html_table(["run started (UTC)", "stage", "wall", "CPU"], rows,
                             numeric_columns=(1, 2, 3))


def _figures_html(figures):
    return '<div class="figures">\n' + "\n".join(
        f'<figure><img src="{figure_uri(path)}" alt="{html.escape(path)}">'
        f"<figcaption>{html.escape(path)}</figcaption></figure>" for path in figures) + "\n</div>"


_PAGE = string.Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; color: #1d1d1f; margin: 0 auto; padding: 1em 2em;
       max-width: 1500px; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
nav a { margin-right: 1em; }
.table { overflow-x: auto; margin: 0.8em 0; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f3; }
tbody tr:nth-child(even) { background: #fafafc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
pre { background: #f6f6f8; padding: 0.6em; overflow-x: auto; font-size: 13px; }
code { font-size: 0.92em; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 1em; }
figure { margin: 0; border: 1px solid #ddd; padding: 0.5em; background: #fff; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: 0.85em; color: #555; text-align: center; word-break: break-all; }
.generated { color: #666; font-size: 0.85em; }
</style>
</head>
<body>
<h1>$title</h1>
<p class="generated">$generated</p>
<nav>$nav</nav>
$sections
</body>
</html>
""")


def html_report(results_path, figures=(), settings_path=None, stage_times_path=None):
    """The page (text) of RESULTS.md ``results_path``, the figure files ``figures`` and, when
    given, the run_settings.tsv and stage_times.tsv files."""
    text = "\n".join(line for _, line in iter_lines(results_path))
    if not text.strip():
        raise InputError("empty results file", results_path)
    lines = text.splitlines()
    first = next(line for line in lines if line.strip())
    title = "metricvox results"
    if first.startswith("# "):
        title = first[2:].strip()
        lines.remove(first)
    sections = [("results", "Results", markdown_html("\n".join(lines), heading_offset=1))]
    if figures:
        sections.append(("figures", "Figures", _figures_html(figures)))
    if settings_path is not None:
        sections.append(("settings", "Settings", _settings_html(read_settings(settings_path))))
    if stage_times_path is not None:
        sections.append(("timings", "Time per stage",
                         _timings_html(read_stage_times(stage_times_path))))
    return _PAGE.substitute(
        title=html.escape(title),
        generated=f"From {html.escape(results_path)}, by metricvox-html-report.",
        nav="".join(f'<a href="#{key}">{name}</a>' for key, name, _ in sections),
        sections="\n".join(f'<section id="{key}">\n<h2>{name}</h2>\n{body}\n</section>'
                           for key, name, body in sections))
