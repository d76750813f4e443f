"""Building a corpus directory so that an interrupted run never looks complete.

The corpus is generated in ``OUT.tmp`` (wiped first if an earlier run died there),
stamped with a marker file naming its kind, size and seed, and only then renamed
to ``OUT``. A rerun that finds ``OUT`` stamped with the same parameters does
nothing; anything else already at ``OUT`` is refused rather than overwritten.
"""
import json
import logging
import shutil
from pathlib import Path

from metricvox.errors import InputError
from metricvox.io.atomic import make_output_dir, write_failure

MARKER = ".metricvox-synth-complete"
log = logging.getLogger(__name__)


def build(out, parameters, write_corpus):
    """Run ``write_corpus(tmp_dir)`` and publish it at ``out``; False if already there."""
    out = Path(out)
    stamp = json.dumps(parameters, sort_keys=True)
    if out.exists():
        marker = out / MARKER
        if marker.is_file():
            found = marker.read_text().strip()
            if found == stamp:
                log.info(f"{out}: complete synthetic corpus {stamp} already there, nothing to do")
                return False
            raise InputError(f"holds another synthetic corpus {found}; choose another --out", out)
        if not out.is_dir() or any(out.iterdir()):
            raise InputError("exists and is not a synthetic corpus; refusing to write into it", out)
        out.rmdir()
    staging = out.with_name(out.name + ".tmp")
    if staging.exists():
        log.info(f"{staging}: removing what an interrupted run left")
        shutil.rmtree(staging)
    make_output_dir(staging)
    # A failed build leaves the staging dir (named .tmp: nothing that looks like a corpus);
    # the next run removes it first.
    try:
        write_corpus(staging)
        (staging / MARKER).write_text(stamp + "\n")
    except OSError as error:
        raise write_failure(error, staging) or error from None
    staging.rename(out)
    log.info(f"{out}: synthetic corpus {stamp} written")
    return True
