#!/usr/bin/env bash
# Features for a data directory, in parallel jobs (Kaldi's steps/make_mfcc.sh).
#   utils/make_feats.sh [--nj 4] [--cmd utils/run_local.sh] [--type mfcc] [--config conf/mfcc.conf]
#                       [--extra "--allow-resample"] [--also "PRESET:DATA_DIR2 ..."]
#                       DATA_DIR LOG_DIR FEAT_DIR
# Splits DATA_DIR into nj parts, runs metricvox-compute-feats on each into
# FEAT_DIR/<type>_<data>.JOB.{ark,scp}, and writes DATA_DIR/feats.scp last, so a
# data dir with a feats.scp is finished (it is then left alone). --also computes
# the features of each PRESET from the same decoded audio into DATA_DIR2 (a copy of
# DATA_DIR with the same utterances): one decode per recording for every front end.
set -euo pipefail
nj=4
cmd=utils/run_local.sh
type=mfcc
config=
extra=
also=
. "$(dirname "$0")/parse_options.sh"
if [ $# -ne 3 ]; then
  echo "usage: $0 [--nj N] [--cmd CMD] [--type T] [--config F] [--extra OPTS] [--also 'PRESET:DIR ...'] DATA_DIR LOG_DIR FEAT_DIR" >&2
  exit 1
fi
data=$1; logdir=$2; featdir=$3
if [ -f "$data/feats.scp" ]; then
  echo "$0: $data/feats.scp exists, skipping"; exit 0
fi
name=$(basename "$data")
mkdir -p "$logdir" "$featdir"
featdir=$(cd "$featdir" && pwd)
also_opts=()
for pair in $also; do
  preset=${pair%%:*}; other=${pair#*:}
  if ! cmp -s "$data/utt2spk" "$other/utt2spk"; then
    echo "$0: $other/utt2spk differs from $data/utt2spk: --also needs the same utterances" >&2; exit 1
  fi
  also_opts+=(--also "$preset=ark,scp:$featdir/${preset}_$(basename "$other").JOB.ark,$featdir/${preset}_$(basename "$other").JOB.scp")
done
metricvox-split-data-dir "$data" "$nj"
segments=
[ -f "$data/segments" ] && segments="--segments $data/split$nj/JOB/segments"
$cmd JOB=1:"$nj" "$logdir/make_${type}_$name.JOB.log" \
  metricvox-compute-feats --type "$type" ${config:+--config "$config"} $extra $segments \
    "${also_opts[@]}" "scp:$data/split$nj/JOB/wav.scp" \
    "ark,scp:$featdir/${type}_$name.JOB.ark,$featdir/${type}_$name.JOB.scp"

# gather_scp DIR PREFIX: DIR/feats.scp from the jobs' PREFIX.JOB.scp (atomically).
gather_scp() {
  for ((j = 1; j <= nj; j++)); do cat "$2.$j.scp"; done | LC_ALL=C sort -k1,1 > "$1/feats.scp.tmp"
  mv "$1/feats.scp.tmp" "$1/feats.scp"
}
for pair in $also; do
  preset=${pair%%:*}; other=${pair#*:}
  gather_scp "$other" "$featdir/${preset}_$(basename "$other")"
  echo "$0: $(wc -l < "$other/feats.scp") utterances of $other have $preset features"
done
gather_scp "$data" "$featdir/${type}_$name"   # last: DATA_DIR/feats.scp marks the whole job done
echo "$0: $(wc -l < "$data/feats.scp") utterances of $data have $type features"
