#!/usr/bin/env bash
# VoxCeleb speaker verification, Kaldi style.
#   ./run.sh [--stage N] [--stop-stage M] [--corpus DIR] [--nj J]
# --corpus names a directory holding VoxCeleb1 as distributed (vox1/wav/..., vox1/veri_test.txt).
# Without it, stage 0 generates a synthetic stand-in corpus in that same layout and every
# stage runs on it, so the data preparation below is the one real data gets.
# Every stage can be rerun; work whose final output exists is skipped.
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
corpus=                 # VoxCeleb root; empty: the stand-in corpus under corpus/
standin_size=small      # mini or small, for the stand-in
seed=1
nj=2
. utils/parse_options.sh
. ./path.sh
. ./cmd.sh

standin=false
if [ -z "$corpus" ]; then corpus=corpus/standin-$standin_size; standin=true; fi
run_stage() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }

if run_stage 0 && $standin; then
  echo "=== stage 0: synthetic stand-in corpus ($standin_size) in $corpus"
  metricvox-synth-corpus --kind voxceleb --size "$standin_size" --seed "$seed" --out "$corpus"
fi

if run_stage 1; then
  echo "=== stage 1: data directories from $corpus"
  [ -f data/vox1_test/trials ] || local/make_voxceleb1.py "$corpus/vox1" data
  for name in vox1_dev vox1_test; do metricvox-validate-data-dir data/$name; done
fi

if run_stage 2; then
  echo "=== stage 2: MFCC and energy VAD"
  for name in vox1_dev vox1_test; do
    utils/make_feats.sh --nj "$nj" --cmd "$cmd" --type mfcc --config conf/mfcc.conf \
      data/$name exp/make_mfcc mfcc
    [ -f data/$name/vad.scp ] || metricvox-compute-vad --config conf/vad.conf \
      scp:data/$name/feats.scp ark,scp:"$PWD"/mfcc/vad_$name.ark,data/$name/vad.scp
  done
fi

if run_stage 3; then
  echo "=== stage 3: naive baseline, cosine between utterance MFCC mean+std vectors"
  mkdir -p exp/mfcc_stats
  [ -f exp/mfcc_stats/eer_vox1_test ] || {
    metricvox-select-voiced-frames scp:data/vox1_test/feats.scp scp:data/vox1_test/vad.scp ark:- \
      | metricvox-pool-feats --stats mean,std ark:- ark:- \
      | metricvox-score --trials data/vox1_test/trials ark:- - \
      | metricvox-compute-eer data/vox1_test/trials - > exp/mfcc_stats/eer_vox1_test.tmp
    mv exp/mfcc_stats/eer_vox1_test.tmp exp/mfcc_stats/eer_vox1_test
  }
fi

if run_stage 4; then
  echo "=== stage 4: report"
  {
    echo "# VoxCeleb results ($corpus)"
    echo
    for name in vox1_dev vox1_test; do
      echo "- $name: $(wc -l < data/$name/utt2spk) utterances, $(wc -l < data/$name/spk2utt) speakers"
    done
    echo "- vox1_test/trials: $(wc -l < data/vox1_test/trials) trials"
    echo
  } > exp/RESULTS.md.tmp
  metricvox-results-table "mfcc-stats cosine:vox1_test=exp/mfcc_stats/eer_vox1_test" \
    >> exp/RESULTS.md.tmp
  mv exp/RESULTS.md.tmp exp/RESULTS.md
  cat exp/RESULTS.md
fi
