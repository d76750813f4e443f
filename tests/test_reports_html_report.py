"""exp/report.html (metricvox-html-report through the recipes' html_report glue), opened in
headless Chromium: it renders without a script error or console message, loads every figure,
fetches nothing, and its tables hold RESULTS.md's numbers.

The fake exp dir is made by the project's own tools on a tiny score file (compute-eer,
results-table, plot-det, compare-systems), and its run_settings.tsv and stage_times.tsv by
the stage helpers of a small recipe script. Without Chromium (Debian's chromium package) the
browser tests are skipped, except under CI (the CI variable set), where that is a failure.
"""
import html.parser
import os
import re
import shlex
import shutil
import subprocess

import pytest

from conftest import REPO, assert_one_line_error, run_tool

UTILS = REPO / "egs" / "utils"
CHROMIUM = shutil.which("chromium")
WIDTH = 1280


def _scores(path, shift, seed):
    """40 trials' scores: targets (even trials) ``shift`` above the non-targets, plus noise
    from a fixed linear congruential sequence."""
    state, lines = seed, []
    for i in range(40):
        state = (1103515245 * state + 12345) % 2**31
        lines.append(f"e{i} t{i} {(shift if i % 2 == 0 else 0.0) + state / 2**31 * 2:.4f}\n")
    path.write_text("".join(lines))


@pytest.fixture(scope="module")
def exp(tmp_path_factory):
    """A recipe dir whose stage 3 wrote exp/RESULTS.md and exp/report.html (html_report)."""
    root = tmp_path_factory.mktemp("recipe")
    (root / "exp" / "results").mkdir(parents=True)
    (root / "trials").write_text("".join(f"e{i} t{i} {'target' if i % 2 == 0 else 'nontarget'}\n"
                                         for i in range(40)))
    _scores(root / "sys_a", 1.2, 1)
    _scores(root / "sys_b", 0.6, 2)
    tables = []
    for system in ("sys_a", "sys_b"):
        eer = run_tool("metricvox-compute-eer", root / "trials", root / system).stdout
        (root / "exp" / "results" / system).write_bytes(eer)
        tables += [f"{system}:veri_test=exp/results/{system}", f"{system}:a|b=exp/results/{system}"]
    run_tool("metricvox-plot-det", "--title", "DET veri_test", root / "trials",
             root / "exp/results/det_veri_test.png", f"A={root / 'sys_a'}", f"B={root / 'sys_b'}")
    (root / "m1.acc").write_text("81.0\n84.5\n79.25\n")
    (root / "m2.acc").write_text("75.0\n77.0\n72.5\n")
    (root / "recipe.sh").write_text(f"""set -euo pipefail
stage=1
stop_stage=3
nj=2
corpus=corpus/standin-mini
. {UTILS}/parse_options.sh
. {UTILS}/stage_helpers.sh
if run_stage 1; then sleep 1.1; fi
if run_stage 2; then
  metricvox-compare-systems --box-plot exp/results/box_margins.svg m1=m1.acc m2=m2.acc \\
    > exp/results/tukey.txt
fi
if run_stage 3; then
  print_results() {{
    echo "# Fake results (corpus/standin-mini)"
    echo
    echo "- trials: 40, of which 20 targets <all> & more"
    echo "  - nested item"
    echo
    metricvox-results-table --wide {' '.join(map(shlex.quote, tables))}
    echo
    echo "## Table II: a singer-style table"
    echo
    echo "| Training metrics | Top-1 (%) Seen | EER (%) Unseen |"
    echo "|---|---|---|"
    echo "| **With source separation** | | |"
    echo "| Triplets (α=0.2) | 12.50 | – |"
    echo
    echo "## Tukey HSD"
    echo
    echo '\u0060\u0060\u0060'
    cat exp/results/tukey.txt
    echo '\u0060\u0060\u0060'
  }}
  write_report exp/RESULTS.md print_results
  html_report exp/results/det_veri_test.png exp/results/box_margins.svg
fi
""")
    proc = subprocess.run(["bash", "recipe.sh", "--nj", "3"], cwd=root, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert "exp/report.html" in proc.stdout
    return root / "exp"


def _markdown_tables(text):
    """[[row cells]] of each pipe table of a Markdown text, the |---| rows left out."""
    tables, current = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        if re.fullmatch(r"\|(-+\|)+", line):
            continue
        if current is None:
            current = []
            tables.append(current)
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        current.append([c.strip().replace("\\|", "|").replace("**", "") for c in cells])
    return tables


def _code_blocks(text):
    return re.findall(r"^```\n(.*?)\n```$", text, flags=re.S | re.M)


class _Page(html.parser.HTMLParser):
    """The tables (rows of cell texts), <pre> texts, src/href values and body attributes."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.pres, self.links, self.body = [], [], [], {}
        self._cell = self._pre = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [attrs[a] for a in ("src", "href") if a in attrs]
        if tag == "body":
            self.body = attrs
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "pre":
            self._pre = []

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "pre":
            self.pres.append("".join(self._pre))
            self._pre = None

    def handle_data(self, data):
        for part in (self._cell, self._pre):
            if part is not None:
                part.append(data)


# Added to a copy of the page: script errors, and after the load event each image that did
# not decode and the page's height, written into <body>'s attributes for --dump-dom.
_PROBE = """<script>
window.onerror = function (message) {
  document.body.dataset.errors = (document.body.dataset.errors || "") + message + ";";
};
window.addEventListener("load", function () {
  var broken = Array.from(document.images).filter(function (i) { return !i.naturalWidth; });
  document.body.dataset.images = document.images.length;
  document.body.dataset.broken = broken.length;
  document.body.dataset.height = document.documentElement.scrollHeight;
});
</script>"""


def _chromium(*args):
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("CI runs the report tests in Chromium: apt-get install chromium",
                        pytrace=False)
        pytest.skip("no chromium (Debian: apt-get install chromium)")
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
                           "--hide-scrollbars", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def render(page, screenshot):
    """(the DOM Chromium built of ``page``, with the probe's findings on <body>), after saving
    a screenshot of the whole page to ``screenshot``; fails on any console message."""
    probe = page.with_name("probe_" + page.name)
    probe.write_text(page.read_text().replace("<head>", "<head>\n" + _PROBE, 1))
    dom = _chromium(f"--window-size={WIDTH},800", "--dump-dom", probe.as_uri())
    assert dom.returncode == 0, dom.stderr
    parsed = _Page(dom.stdout)
    height = int(parsed.body["data-height"])
    shot = _chromium(f"--window-size={WIDTH},{height}", f"--screenshot={screenshot}", page.as_uri())
    assert shot.returncode == 0 and screenshot.stat().st_size > 0, shot.stderr
    for stderr in (dom.stderr, shot.stderr):
        console = [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
        assert not console, console
    return parsed


def test_report_renders_and_holds_the_results_tables_numbers(exp, tmp_path):
    page = render(exp / "report.html", tmp_path / "report.png")
    assert page.body.get("data-errors") is None, page.body
    assert page.body["data-images"] == "2" and page.body["data-broken"] == "0", page.body

    results = (exp / "RESULTS.md").read_text()
    expected = _markdown_tables(results)
    assert len(expected) == 2 and len(expected[0]) == 3      # header, sys_a, sys_b
    assert page.tables[:len(expected)] == expected
    numbers = [float(c) for row in expected[0][1:] for c in row[1:]]
    assert numbers and numbers == [float(c) for row in page.tables[0][1:] for c in row[1:]]
    blocks = _code_blocks(results)
    assert page.pres[:len(blocks)] == blocks and "Tukey HSD" in blocks[0]

    # RESULTS.md's text is escaped, never markup; nested items are nested lists.
    assert ("<li>trials: 40, of which 20 targets &lt;all&gt; &amp; more<ul><li>nested item</li></ul>"
            in (exp / "report.html").read_text())
    # Self-contained: the figures are data: URIs, the links point inside the page.
    assert all(link.startswith(("data:image/", "#")) for link in page.links), page.links
    assert sum(link.startswith("data:image/png;base64,") for link in page.links) == 1
    assert sum(link.startswith("data:image/svg+xml;base64,") for link in page.links) == 1

    settings, times = page.tables[len(expected)], page.tables[len(expected) + 1]
    assert page.pres[len(blocks)] == "recipe.sh --nj 3"      # the last run's command line
    assert ["--nj", "3"] in settings and ["--corpus", "corpus/standin-mini"] in settings
    assert [row[1] for row in times[1:]] == ["1", "2", "all"]
    assert times[1][2] in ("0m01s", "0m02s")


def test_html_tool_reports_bad_input_in_one_line(exp, tmp_path):
    results, figure = exp / "RESULTS.md", exp / "results" / "det_veri_test.png"
    out = tmp_path / "report.html"
    proc = run_tool("metricvox-html-report", tmp_path / "none.md", out, figure, check=False)
    assert_one_line_error(proc, "none.md", "cannot open")
    proc = run_tool("metricvox-html-report", results, out, figure, tmp_path / "gone.png", check=False)
    assert_one_line_error(proc, "gone.png", "cannot open figure")
    (tmp_path / "fake.png").write_text("<svg></svg>")
    proc = run_tool("metricvox-html-report", results, out, tmp_path / "fake.png", check=False)
    assert_one_line_error(proc, "fake.png", "not a whole PNG file")
    (tmp_path / "cut.png").write_bytes(figure.read_bytes()[:-100])
    proc = run_tool("metricvox-html-report", results, out, tmp_path / "cut.png", check=False)
    assert_one_line_error(proc, "cut.png", "not a whole PNG file")
    (tmp_path / "times.tsv").write_text("run\tstage\twall_seconds\tcpu_seconds\nr1\t1\t3\n")
    proc = run_tool("metricvox-html-report", "--stage-times", tmp_path / "times.tsv", results, out,
                    check=False)
    assert_one_line_error(proc, "times.tsv:2", "expected 4 tab-separated fields")
    assert not out.exists()
