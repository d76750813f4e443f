#!/usr/bin/env bash
# Features for a data directory, in parallel jobs (Kaldi's steps/make_mfcc.sh).
#   utils/make_feats.sh [--nj 4] [--cmd utils/run_local.sh] [--type mfcc] [--config conf/mfcc.conf]
#                       [--extra "--allow-resample"] DATA_DIR LOG_DIR FEAT_DIR
# Splits DATA_DIR into nj parts, runs metricvox-compute-feats on each into
# FEAT_DIR/<type>_<data>.JOB.{ark,scp}, and writes DATA_DIR/feats.scp last, so a
# data dir with a feats.scp is finished (it is then left alone).
set -euo pipefail
nj=4
cmd=utils/run_local.sh
type=mfcc
config=
extra=
. "$(dirname "$0")/parse_options.sh"
if [ $# -ne 3 ]; then
  echo "usage: $0 [--nj N] [--cmd CMD] [--type T] [--config F] [--extra OPTS] DATA_DIR LOG_DIR FEAT_DIR" >&2
  exit 1
fi
data=$1; logdir=$2; featdir=$3
if [ -f "$data/feats.scp" ]; then
  echo "$0: $data/feats.scp exists, skipping"; exit 0
fi
name=$(basename "$data")
mkdir -p "$logdir" "$featdir"
featdir=$(cd "$featdir" && pwd)
metricvox-split-data-dir "$data" "$nj"
segments=
[ -f "$data/segments" ] && segments="--segments $data/split$nj/JOB/segments"
$cmd JOB=1:"$nj" "$logdir/make_${type}_$name.JOB.log" \
  metricvox-compute-feats --type "$type" ${config:+--config "$config"} $extra $segments \
    "scp:$data/split$nj/JOB/wav.scp" \
    "ark,scp:$featdir/${type}_$name.JOB.ark,$featdir/${type}_$name.JOB.scp"
for ((j = 1; j <= nj; j++)); do cat "$featdir/${type}_$name.$j.scp"; done \
  | LC_ALL=C sort -k1,1 > "$data/feats.scp.tmp"
mv "$data/feats.scp.tmp" "$data/feats.scp"
echo "$0: $(wc -l < "$data/feats.scp") utterances of $data have $type features"
