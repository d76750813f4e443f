#!/usr/bin/env bash
# The scores of one trial list, picked out of a score file that covers it (a system scored
# once on the union of several lists):
#   utils/select_scores.sh TRIALS SCORES > LIST_SCORES
# TRIALS: 'enroll test ...' lines; SCORES: 'enroll test score' lines. Writes 'enroll test
# score' in TRIALS' order; a trial SCORES lacks is an error naming the trials file and line.
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 TRIALS SCORES" >&2; exit 1; fi
for f in "$1" "$2"; do [ -f "$f" ] || { echo "$0: $f: no such file" >&2; exit 1; }; done
awk -v trials="$1" -v scores="$2" '
  NR == FNR { score[$1 " " $2] = $3; next }
  !(($1 " " $2) in score) {
    printf "%s: error: %s:%d: trial %s %s has no score in %s\n", "select_scores.sh", trials, FNR, $1, $2, scores > "/dev/stderr"
    exit 1
  }
  { print $1, $2, score[$1 " " $2] }' "$2" "$1"
