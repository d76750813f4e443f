#!/usr/bin/env bash
# The lines of a table whose key (first field) is a key of another table (Kaldi's
# utils/filter_scp.pl), in the table's own order.
#   utils/filter_scp.sh [--exclude] KEYS_TABLE TABLE > FILTERED
set -euo pipefail
exclude=false
if [ "${1:-}" = --exclude ]; then exclude=true; shift; fi
if [ $# -ne 2 ]; then
  echo "usage: $0 [--exclude] KEYS_TABLE TABLE" >&2
  exit 1
fi
for f in "$1" "$2"; do
  [ -f "$f" ] || { echo "$0: error: $f: no such file" >&2; exit 1; }
done
awk -v exclude="$exclude" 'NR == FNR { keys[$1]; next }
  (($1 in keys) && exclude == "false") || (!($1 in keys) && exclude == "true")' "$1" "$2"
