#!/usr/bin/env bash
# VoxCeleb speaker verification, Kaldi style: the i-vector/PLDA and GMM-UBM baselines, the
# unsupervised Siamese systems (unsupervised-siamese-speaker-verification) with their
# supervised VGG baselines, and the multi-metric ResNet-50-SE (multi-metric-speaker-verification).
#   ./run.sh [--stage N] [--stop-stage M] [--corpus DIR] [--nj J] [--device cuda|cpu]
# --corpus names a directory holding VoxCeleb as distributed (vox1/wav/..., vox1/veri_test.txt,
# vox2/dev/aac/...). Without it, stage 0 generates a synthetic stand-in corpus in that same
# layout and every stage runs on it with the quick settings of conf/standin-SIZE/, so the
# data preparation below is the one real data gets. Every stage can be rerun; finished work
# (whose final output exists) is skipped, and an interrupted training resumes.
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
corpus=                 # VoxCeleb root; empty: the stand-in corpus under corpus/
standin_size=small      # mini or small, for the stand-in
train_set=vox2_dev      # the papers train on VoxCeleb2 dev (vox1_dev works too)
seed=1
nj=2
device=cpu
# Sizes of the classical chain; empty: the papers' (1024 Gaussians, 400-d i-vectors, LDA 200)
# for a real corpus, small ones for the stand-in.
num_components=
ivector_dim=
lda_dim=
mining_k=               # clients and impostors per anchor (paper: 10)
. utils/parse_options.sh
. ./path.sh
. ./cmd.sh

standin=false
if [ -z "$corpus" ]; then corpus=corpus/standin-$standin_size; standin=true; fi
if $standin; then
  confdir=conf/standin-$standin_size
  case $standin_size in
    mini) : "${num_components:=16}" "${ivector_dim:=20}" "${lda_dim:=6}" "${mining_k:=2}" ;;
    *) : "${num_components:=64}" "${ivector_dim:=100}" "${lda_dim:=60}" "${mining_k:=3}" ;;
  esac
else
  confdir=conf
  : "${num_components:=1024}" "${ivector_dim:=400}" "${lda_dim:=200}" "${mining_k:=10}"
fi
run_stage() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }

# Features of the i-vector chain, as an rspecifier: MFCC + deltas, sliding CMN, voiced frames.
ivector_feats() {
  echo "ark:metricvox-add-deltas scp:data/$1/feats.scp ark:- | metricvox-apply-cmvn --mode sliding --cmn-window 300 --center ark:- ark:- | metricvox-select-voiced-frames ark:- scp:data/$1/vad.scp ark:- |"
}
test_trials=data/vox1_test/trials
dev_trials=data/vox1_dev/trials_dev
nnet_systems="vgg_random siamese_double siamese_triple vgg_softmax vgg_amsoftmax resnet_multi"

if run_stage 0 && $standin; then
  echo "=== stage 0: synthetic stand-in corpus ($standin_size) in $corpus"
  metricvox-synth-corpus --kind voxceleb --size "$standin_size" --seed "$seed" --nj "$nj" \
    --out "$corpus"
fi

if run_stage 1; then
  echo "=== stage 1: data directories from $corpus"
  [ -f $test_trials ] || local/make_voxceleb1.py "$corpus/vox1" data
  [ -f data/vox2_dev/wav.scp ] || [ ! -d "$corpus/vox2" ] || local/make_voxceleb2.py "$corpus/vox2" data
  [ -f $dev_trials ] || metricvox-make-trials --per-utterance 2 --seed "$seed" data/vox1_dev $dev_trials
  for name in $train_set vox1_dev vox1_test; do
    metricvox-validate-data-dir data/$name
    # One copy of the data dir per network input, each with its own feats.scp.
    for input in mel80 spec161; do
      [ -d data/${name}_$input ] || metricvox-subset-data-dir --utt-list data/$name/utt2spk \
        data/$name data/${name}_$input
    done
  done
fi

if run_stage 2; then
  echo "=== stage 2: MFCC + energy VAD (i-vectors), log mel 80 and spectrogram 161 (networks)"
  for name in $train_set vox1_test; do
    utils/make_feats.sh --nj "$nj" --cmd "$cmd" --type mfcc --config conf/mfcc.conf \
      data/$name exp/make_feats mfcc
    [ -f data/$name/vad.scp ] || metricvox-compute-vad --config conf/vad.conf \
      scp:data/$name/feats.scp ark,scp:"$PWD"/mfcc/vad_$name.ark,data/$name/vad.scp
  done
  for name in $train_set vox1_dev vox1_test; do
    # The papers' front ends, shipped as presets (metricvox/features/presets/).
    utils/make_feats.sh --nj "$nj" --cmd "$cmd" --type logmel --extra "--preset siamese-logmel80" \
      data/${name}_mel80 exp/make_feats mfcc
    utils/make_feats.sh --nj "$nj" --cmd "$cmd" --type spectrogram \
      --extra "--preset multimetric-spectrogram161" data/${name}_spec161 exp/make_feats mfcc
  done
fi

if run_stage 3; then
  echo "=== stage 3: naive MFCC statistics; UBM ($num_components), i-vectors ($ivector_dim), PLDA; GMM-UBM"
  mkdir -p exp/ivector exp/scores
  # The naive baseline: cosine between utterance means and standard deviations of the MFCCs.
  [ -f exp/scores/mfcc_stats_vox1_test ] || \
    metricvox-select-voiced-frames scp:data/vox1_test/feats.scp scp:data/vox1_test/vad.scp ark:- \
      | metricvox-pool-feats --stats mean,std ark:- ark:- \
      | metricvox-score --trials $test_trials ark:- exp/scores/mfcc_stats_vox1_test
  [ -f exp/ivector/ubm.npz ] || metricvox-train-ubm --num-components "$num_components" --full \
    --nj "$nj" --seed "$seed" "$(ivector_feats $train_set)" exp/ivector/ubm.npz
  [ -f exp/ivector/extractor.npz ] || metricvox-train-ivector-extractor --ubm exp/ivector/ubm.npz \
    --ivector-dim "$ivector_dim" --nj "$nj" --seed "$seed" "$(ivector_feats $train_set)" \
    exp/ivector/extractor.npz
  for name in $train_set vox1_test; do
    [ -f exp/ivector/ivectors_$name.scp ] || metricvox-extract-ivectors --nj "$nj" \
      --extractor exp/ivector/extractor.npz "$(ivector_feats $name)" \
      ark,scp:"$PWD"/exp/ivector/ivectors_$name.ark,exp/ivector/ivectors_$name.scp
  done
  [ -f exp/ivector/plda.npz ] || metricvox-train-plda --lda-dim "$lda_dim" \
    --utt2spk data/$train_set/utt2spk scp:exp/ivector/ivectors_$train_set.scp exp/ivector/plda.npz
  [ -f exp/scores/ivector_cosine_vox1_test ] || metricvox-score --trials $test_trials \
    scp:exp/ivector/ivectors_vox1_test.scp exp/scores/ivector_cosine_vox1_test
  [ -f exp/scores/ivector_plda_vox1_test ] || metricvox-score --trials $test_trials \
    --backend plda --model exp/ivector/plda.npz scp:exp/ivector/ivectors_vox1_test.scp \
    exp/scores/ivector_plda_vox1_test
  # GMM-UBM: every enrollment utterance MAP-adapts the UBM's means; trials score the average
  # log-likelihood ratio of the test frames.
  [ -f exp/ivector/map_means_vox1_test.scp ] || metricvox-map-adapt --ubm exp/ivector/ubm.npz \
    "$(ivector_feats vox1_test)" \
    ark,scp:"$PWD"/exp/ivector/map_means_vox1_test.ark,exp/ivector/map_means_vox1_test.scp
  [ -f exp/scores/gmm_ubm_vox1_test ] || metricvox-score --trials $test_trials \
    --backend gmm-ubm --ubm exp/ivector/ubm.npz scp:exp/ivector/map_means_vox1_test.scp \
    "$(ivector_feats vox1_test)" exp/scores/gmm_ubm_vox1_test
fi

if run_stage 4; then
  echo "=== stage 4: unsupervised client/impostor mining in i-vector space (k = $mining_k)"
  # Databases A and B: the training set split in two halves of disjoint speakers. Mining
  # reads no speaker label; utt2spk is given only to print the precision of what it mined.
  mkdir -p exp/mining
  if [ ! -f exp/mining/triplets ]; then
    metricvox-split-data-dir --per-spk data/$train_set 2
    for part in 1 2; do
      utils/filter_scp.sh data/$train_set/split2/$part/utt2spk \
        exp/ivector/ivectors_$train_set.scp > exp/mining/ivectors_$part.scp
    done
    metricvox-mine-pairs --k "$mining_k" --utt2spk data/$train_set/utt2spk \
      scp:exp/mining/ivectors_1.scp scp:exp/mining/ivectors_2.scp exp/mining/pairs exp/mining/triplets \
      2>&1 | tee exp/mining/mine_pairs.log
  fi
fi

# Train one network experiment (conf/EXP.yaml) unless it finished; resume it if it was cut off.
train_network() {
  local exp=$1 data=$2; shift 2
  if [ -f exp/$exp/done ]; then return; fi
  local resume=()
  [ -f exp/$exp/last.pt ] && resume=(--resume)
  metricvox-train --config $confdir/$exp.yaml --data "$data" --out exp/$exp --device "$device" \
    --seed "$seed" "${resume[@]}" "$@"
  touch exp/$exp/done
}
# The model a finished experiment is used through: its best validation epoch.
final_model() { if [ -f exp/$1/best.pt ]; then echo exp/$1/best.pt; else echo exp/$1/last.pt; fi; }

if run_stage 5; then
  echo "=== stage 5: double- and triple-branch Siamese networks from the mined lists; supervised VGG baselines"
  # vgg_random is the triple branch's encoder as initialised (epochs: 0), trained not at all.
  for exp in vgg_random siamese_double siamese_triple vgg_softmax vgg_amsoftmax; do
    train_network $exp data/${train_set}_mel80
  done
fi

if run_stage 6; then
  echo "=== stage 6: multi-metric ResNet-50-SE: softmax pre-training, then the weighted losses"
  train_network resnet_pretrain data/${train_set}_spec161
  train_network resnet_multi data/${train_set}_spec161 --init "$(final_model resnet_pretrain)"
fi

if run_stage 7; then
  echo "=== stage 7: embeddings and scores of every network; fusion of the Siamese systems"
  mkdir -p exp/scores
  for exp in $nnet_systems; do
    input=mel80; extract_opts=(); backend=(--backend cosine)
    case $exp in
      resnet_*) input=spec161; extract_opts=(--num-crops 10) ;;   # 10 x 10 crop mean distance
      siamese_double) backend=(--backend siamese --model "$(final_model $exp)") ;;
    esac
    for name in vox1_test vox1_dev; do
      case $exp:$name in siamese_*:vox1_dev) ;; *:vox1_dev) continue ;; esac   # dev: for fusion
      trials=$test_trials; [ $name = vox1_dev ] && trials=$dev_trials
      [ -f exp/scores/${exp}_$name ] && continue
      metricvox-extract --model "$(final_model $exp)" --device "$device" "${extract_opts[@]}" \
        scp:data/${name}_$input/feats.scp ark:- \
        | metricvox-score --trials $trials "${backend[@]}" ark:- exp/scores/${exp}_$name
    done
  done
  [ -f exp/scores/siamese_fusion_vox1_test ] || metricvox-fuse-scores --train-trials $dev_trials \
    --train-scores exp/scores/siamese_double_vox1_dev,exp/scores/siamese_triple_vox1_dev \
    --apply-scores exp/scores/siamese_double_vox1_test,exp/scores/siamese_triple_vox1_test \
    exp/scores/siamese_fusion_vox1_test
fi

if run_stage 8; then
  echo "=== stage 8: report"
  systems="mfcc_stats ivector_cosine ivector_plda gmm_ubm $nnet_systems siamese_fusion"
  mkdir -p exp/results
  tables=() curves=()
  for system in $systems; do
    scores=exp/scores/${system}_vox1_test
    metricvox-compute-eer $test_trials $scores > exp/results/$system.tmp
    mv exp/results/$system.tmp exp/results/$system
    tables+=("$system:vox1_test=exp/results/$system")
    curves+=("$system=$scores")
  done
  metricvox-plot-det --title "VoxCeleb1 test ($corpus)" $test_trials exp/results/det.png "${curves[@]}"
  {
    echo "# VoxCeleb results ($corpus)"
    echo
    for name in $train_set vox1_dev vox1_test; do
      echo "- $name: $(wc -l < data/$name/utt2spk) utterances, $(wc -l < data/$name/spk2utt) speakers"
    done
    echo "- trials: $test_trials, $(wc -l < $test_trials) trials (VoxCeleb1 veri_test.txt)"
    [ ! -f exp/mining/mine_pairs.log ] || sed 's/^/- mining: /' exp/mining/mine_pairs.log
    echo "- DET curves: exp/results/det.png"
    echo
    metricvox-results-table "${tables[@]}"
  } > exp/RESULTS.md.tmp
  mv exp/RESULTS.md.tmp exp/RESULTS.md
  cat exp/RESULTS.md
fi
