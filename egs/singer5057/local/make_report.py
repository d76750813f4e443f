#!/usr/bin/env python3
"""exp/RESULTS.md of the singer recipe: Tables II, III and IV of the paper (stage 7 of run.sh).

    local/make_report.py --systems "triplet_a0.1 ..." --conditions "mix vocals" EXP > RESULTS.md

Reads EXP/CONDITION/SYSTEM/results/TEST_SET/{top_N,eer_N} (metricvox-identify and
metricvox-compute-eer outputs) and prints the tables in Markdown. Table III shows the
paper's A-PNL (M=4) and Triplets (alpha=0.2) and Table IV its two triplet and two A-PNL
systems, those of them that were trained (all trained systems when none was).
"""
import os
import re
import sys

import click

from metricvox.cli import Tool
from metricvox.reports.results_table import read_measures
from metricvox.reports.singer_tables import SETS, read_identification, table2, table3, table4

CONDITIONS = {"vocals": "With source separation", "mix": "Without source separation"}
LOSS_LABELS = {"triplet": "Triplets", "ge2e": "GE2E", "pnl": "PNL", "apnl": "A-PNL"}
TABLE3 = ("apnl_m4", "triplet_a0.2")
TABLE4 = ("triplet_a0.1", "triplet_a0.2", "apnl_m3", "apnl_m4")
SEGMENTS = (1, 3, 5)


def label(system):
    """The paper's name of a system: triplet_a0.2 -> 'Triplets (α=0.2)', apnl_m4 -> 'A-PNL (M=4)'."""
    match = re.fullmatch(r"(triplet|ge2e|pnl|apnl)_(a|m)([\d.]+)", system)
    if not match:
        return system
    loss, kind, value = match.groups()
    return f"{LOSS_LABELS[loss]} ({'α' if kind == 'a' else 'M'}={value})"


def gather(exp, conditions, systems):
    results = {}
    for condition in conditions:
        for system in systems:
            for test_set, _ in SETS:
                where = os.path.join(exp, condition, system, "results", test_set)
                entry = {"top": {}, "eer": {}}
                for n in SEGMENTS:
                    if os.path.isfile(os.path.join(where, f"top_{n}")):
                        entry["top"][n] = read_identification(os.path.join(where, f"top_{n}"))
                    if os.path.isfile(os.path.join(where, f"eer_{n}")):
                        entry["eer"][n] = read_measures(os.path.join(where, f"eer_{n}"))["EER"]
                results.setdefault(condition, {}).setdefault(system, {})[test_set] = entry
    return results


def chosen(paper, systems):
    picked = [s for s in paper if s in systems]
    return [(s, label(s)) for s in (picked or systems)]


@click.command(cls=Tool, help=__doc__)
@click.option("--systems", required=True, help="Space-separated system names.")
@click.option("--conditions", required=True, help="mix and/or vocals.")
@click.argument("exp", type=click.Path(exists=True, file_okay=False))
def main(systems, conditions, exp):
    systems = systems.split()
    conditions = [c for c in ("vocals", "mix") if c in conditions.split()]
    results = gather(exp, conditions, systems)
    blocks = [(c, CONDITIONS[c]) for c in conditions]
    out = sys.stdout
    out.write("## Table II: identification (1 of the test singers) and one-on-one verification, "
              "one 3.5 s clip per query\n\n")
    out.write(table2(results, [(s, label(s)) for s in systems], blocks))
    out.write("\n## Table III: identification top-1 with 1, 3 and 5 clips per query\n\n")
    out.write(table3(results, chosen(TABLE3, systems), blocks, SEGMENTS))
    out.write("\n## Table IV: verification EER with singer models of 1, 3 and 5 clips\n\n")
    out.write(table4(results, chosen(TABLE4, systems), blocks, SEGMENTS))


if __name__ == "__main__":
    main()
