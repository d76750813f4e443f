#!/usr/bin/env bash
# VoxCeleb speaker verification, Kaldi style: the i-vector/PLDA and GMM-UBM baselines, the
# unsupervised Siamese systems (unsupervised-siamese-speaker-verification) with their
# supervised VGG baselines, and the multi-metric ResNet-50-SE (multi-metric-speaker-verification).
#   ./run.sh [--stage N] [--stop-stage M] [--corpus DIR] [--nj J] [--device cuda|cpu]
#            [--ubm-subsample N] [--ivector-train-utts N|all] [--conf-dir DIR]
#            [--train-set vox2_dev|vox1_dev] [--dev-speakers N] [--noisy-corpus DIR]
# --corpus names a directory holding VoxCeleb as distributed (vox1/wav/..., vox1/veri_test.txt,
# vox2/dev/aac/...). Without it, stage 0 generates a synthetic stand-in corpus in that same
# layout and every stage runs on it with the quick settings of conf/standin-SIZE/, so the
# data preparation below is the one real data gets. The stand-in also holds a noisy test
# condition, vox1_noisy/: the VoxCeleb1 test recordings reverberated and mixed with noise
# (0-15 dB SNR) from rooms and noises that no training augmentation holds; every system is
# scored on its veri_test list too (veri_test_noisy). For a real corpus, --noisy-corpus names
# such a copy (wav/<speaker>/<video>/<nnnnn>.wav and veri_test.txt); without it, the noisy
# condition is left out. Every stage can be rerun; finished work
# (whose final output exists) is skipped, and an interrupted training resumes.
# Memory: on CPU one training step of the paper-width networks (conf/) takes up to ~13 GB.
# To stay under ~3.5 GiB, train from a copy of conf/ (--conf-dir) whose network configs add
# `micro_batch: 8` (vgg_*, siamese_*) or `micro_batch: 16` (resnet_*): the same step, in
# chunks of that many crops; batch norm then normalises by each chunk's statistics
# (metricvox/nnet/training/micro_batch.py; figures: bench/train_memory.py).
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
corpus=                 # VoxCeleb root; empty: the stand-in corpus under corpus/
noisy_corpus=           # a real corpus's noisy copy of VoxCeleb1 test; empty: none (stand-in: its own)
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
# Training subsets of the i-vector chain, as Kaldi's voxceleb v1: the UBM on every n-th frame,
# the extractor on the longest utterances, PLDA on all. Empty: Kaldi's (5; 100000) for a real
# corpus, everything (1; all) for the stand-in.
ubm_subsample=
ivector_train_utts=     # a count, or all
conf_dir=               # the networks' experiment configs; empty: conf, or conf/standin-SIZE
dev_speakers=           # with --train-set vox1_dev: its speakers held out for validation
                        # (empty: a tenth of them, at least 2, or as many as a rerun's
                        # work dir already holds out)
. utils/parse_options.sh
. ./path.sh
. ./cmd.sh

. utils/standin.sh
. utils/stage_helpers.sh
. local/scoring.sh
case $settings in
  mini) : "${num_components:=16}" "${ivector_dim:=20}" "${lda_dim:=6}" "${mining_k:=2}" ;;
  small) : "${num_components:=64}" "${ivector_dim:=100}" "${lda_dim:=60}" "${mining_k:=3}" ;;
  real) : "${num_components:=1024}" "${ivector_dim:=400}" "${lda_dim:=200}" "${mining_k:=10}"
    : "${ubm_subsample:=5}" "${ivector_train_utts:=100000}" ;;
esac
: "${ubm_subsample:=1}" "${ivector_train_utts:=all}"
[[ $ivector_train_utts =~ ^(all|[1-9][0-9]*)$ ]] \
  || { echo "$0: --ivector-train-utts must be a positive count or all, got '$ivector_train_utts'" >&2; exit 1; }
# Features of the i-vector chain, as an rspecifier: MFCC + deltas, sliding CMN, voiced frames.
ivector_feats() {
  echo "ark:metricvox-add-deltas scp:data/$1/feats.scp ark:- | metricvox-apply-cmvn --mode sliding --cmn-window 300 --center ark:- ark:- | metricvox-select-voiced-frames ark:- scp:data/$1/vad.scp ark:- |"
}
dev_trials=data/vox1_dev/trials_dev   # a list drawn from VoxCeleb1 dev: early stopping, fusion
# Validation (early stopping, best.pt, the fusion weights) must be on speakers the systems
# never trained on. VoxCeleb2 dev shares none with VoxCeleb1 dev; when VoxCeleb1 dev is the
# training set, $dev_speakers of its speakers are held out of it (data/vox1_dev_train is the
# rest) and the development list is drawn from them alone.
# The noisy copy of VoxCeleb1 test: --noisy-corpus, else the stand-in's own, else none.
noisy_vox1=$noisy_corpus
if $standin && [ -z "$noisy_vox1" ]; then noisy_vox1=$corpus/vox1_noisy; fi
[ -z "$noisy_corpus" ] || [ -d "$noisy_corpus" ] \
  || { echo "$0: --noisy-corpus $noisy_corpus: no such directory" >&2; exit 1; }
source_sets=$(printf '%s\n' $train_set vox1_dev vox1_test ${noisy_vox1:+vox1_test_noisy} | awk '!seen[$0]++')
heldout_speakers=data/vox1_dev/heldout_speakers
[[ -z $dev_speakers || $dev_speakers =~ ^[1-9][0-9]*$ ]] \
  || { echo "$0: --dev-speakers must be a positive count, got '$dev_speakers'" >&2; exit 1; }
# The held-out speakers are drawn once: the trials, the training set and every model follow.
if [ "$train_set" = vox1_dev ] && [ -n "$dev_speakers" ] && [ -f $heldout_speakers ] \
    && [ "$(wc -l < $heldout_speakers)" -ne "$dev_speakers" ]; then
  echo "$0: $heldout_speakers holds out $(wc -l < $heldout_speakers) speakers, not" \
    "--dev-speakers $dev_speakers; remove data/ and exp/ to draw them again" >&2
  exit 1
fi
if [ "$train_set" = vox1_dev ]; then train_set=vox1_dev_train; fi
nnet_systems="vgg_random siamese_double siamese_triple vgg_softmax vgg_amsoftmax resnet_multi"

if run_stage 0 && $standin; then
  echo "=== stage 0: synthetic stand-in corpus ($standin_size) in $corpus"
  metricvox-synth-corpus --kind voxceleb --size "$standin_size" --seed "$seed" --nj "$nj" \
    --test-condition noisy --out "$corpus"
fi

if run_stage 1; then
  echo "=== stage 1: data directories from $corpus"
  [ -f data/vox1_test/trials ] || local/make_voxceleb1.py "$corpus/vox1" data
  [ -z "$noisy_vox1" ] || [ -f data/vox1_test_noisy/trials ] \
    || local/make_voxceleb1.py --condition noisy "$noisy_vox1" data
  [ -f data/vox2_dev/wav.scp ] || [ ! -d "$corpus/vox2" ] || local/make_voxceleb2.py "$corpus/vox2" data
  if [ $train_set = vox1_dev_train ] && [ ! -f $heldout_speakers ]; then
    all=$(wc -l < data/vox1_dev/spk2utt)
    : "${dev_speakers:=$((all / 10 > 2 ? all / 10 : 2))}"
    if [ "$dev_speakers" -ge "$all" ]; then
      echo "$0: --dev-speakers $dev_speakers leaves no training speaker of the $all in data/vox1_dev" >&2
      exit 1
    fi
    cut -d' ' -f1 data/vox1_dev/spk2utt | LC_ALL=C sort | tail -n "$dev_speakers" \
      > $heldout_speakers.tmp
    mv $heldout_speakers.tmp $heldout_speakers
    echo "validation on $dev_speakers of the $all VoxCeleb1 dev speakers, held out of training"
  fi
  if [ ! -f $dev_trials ]; then
    dev_source=data/vox1_dev
    if [ $train_set = vox1_dev_train ]; then
      dev_source=data/vox1_dev_heldout
      [ -d $dev_source ] || metricvox-subset-data-dir --spk-list $heldout_speakers \
        data/vox1_dev $dev_source
    fi
    metricvox-make-trials --per-utterance 2 --seed "$seed" $dev_source $dev_trials
  fi
  for name in $source_sets; do
    metricvox-validate-data-dir data/$name
    # One copy of the data dir per network input, each with its own feats.scp.
    for input in mel80 spec161; do
      [ -d data/${name}_$input ] || metricvox-subset-data-dir --utt-list data/$name/utt2spk \
        data/$name data/${name}_$input
    done
  done
  echo "trial lists: $(trial_lists)"
  if [ ! -f data/trials_union ]; then
    for pair in $(trial_lists); do cat "${pair#*:}"; done | LC_ALL=C sort -u > data/trials_union.tmp
    mv data/trials_union.tmp data/trials_union
  fi
fi
# The lists are scored on the union of these parts: VoxCeleb1 test, and dev too when -E/-H
# exist, and the noisy copy of test when there is one.
eval_set=vox1_test; eval_parts=vox1_test
if [ -d data/vox1_all ]; then eval_set=vox1_all; eval_parts="vox1_dev vox1_test"; fi
if [ -d data/vox1_test_noisy ]; then eval_set=${eval_set}_and_noisy; eval_parts="$eval_parts vox1_test_noisy"; fi

if run_stage 2; then
  echo "=== stage 2: MFCC + energy VAD (i-vectors), log mel 80 and spectrogram 161 (networks)"
  for name in $source_sets; do
    # One decode of each recording serves the three front ends (VoxCeleb2 is AAC to decode).
    # The papers' network front ends are shipped as presets (metricvox/features/presets/).
    utils/make_feats.sh --nj "$nj" --cmd "$cmd" --type mfcc --config conf/mfcc.conf \
      --also "siamese-logmel80:data/${name}_mel80 multimetric-spectrogram161:data/${name}_spec161" \
      data/$name exp/make_feats mfcc
    [ -f data/$name/vad.scp ] || metricvox-compute-vad --config conf/vad.conf \
      scp:data/$name/feats.scp ark,scp:"$PWD"/mfcc/vad_$name.ark,data/$name/vad.scp
  done
  # Training on VoxCeleb1 dev: its speakers but the held-out ones, with their features.
  if [ $train_set = vox1_dev_train ]; then
    [ -f data/vox1_dev/train_speakers ] || LC_ALL=C comm -23 \
      <(cut -d' ' -f1 data/vox1_dev/spk2utt | LC_ALL=C sort) $heldout_speakers \
      > data/vox1_dev/train_speakers
    for input in "" _mel80 _spec161; do
      [ -f data/vox1_dev_train$input/feats.scp ] || metricvox-subset-data-dir \
        --spk-list data/vox1_dev/train_speakers data/vox1_dev$input data/vox1_dev_train$input
    done
  fi
  # VoxCeleb1-E and -H span dev and test, the noisy list its own recordings: the data dirs
  # scored are the union of the parts.
  if [ "$eval_set" != "$eval_parts" ]; then
    for input in "" _mel80 _spec161; do
      [ -f data/$eval_set$input/feats.scp ] || metricvox-combine-data-dirs data/$eval_set$input \
        $(for part in $eval_parts; do echo data/$part$input; done)
    done
  fi
fi

if run_stage 3; then
  echo "=== stage 3: naive MFCC statistics; UBM ($num_components), i-vectors ($ivector_dim), PLDA; GMM-UBM"
  mkdir -p exp/ivector exp/mfcc_stats exp/scores
  # The naive baseline: cosine between utterance means and standard deviations of the MFCCs.
  for part in $eval_parts; do
    [ -f exp/mfcc_stats/stats_$part.scp ] || metricvox-select-voiced-frames \
      scp:data/$part/feats.scp scp:data/$part/vad.scp ark:- \
      | metricvox-pool-feats --stats mean,std ark:- \
        ark,scp:"$PWD"/exp/mfcc_stats/stats_$part.ark,exp/mfcc_stats/stats_$part.scp
  done
  union_scp exp/mfcc_stats/stats_
  score_lists mfcc_stats scp:exp/mfcc_stats/stats_$eval_set.scp
  [ -f exp/ivector/ubm.npz ] || metricvox-train-ubm --num-components "$num_components" --full \
    --subsample "$ubm_subsample" --nj "$nj" --seed "$seed" "$(ivector_feats $train_set)" \
    exp/ivector/ubm.npz
  # The extractor learns from the longest utterances (short ones harm it, and cost as much).
  extractor_set=$train_set
  if [ "$ivector_train_utts" != all ] \
      && [ "$(wc -l < data/$train_set/utt2spk)" -gt "$ivector_train_utts" ]; then
    extractor_set=${train_set}_longest$ivector_train_utts
    [ -f data/$train_set/utt2num_frames ] || [ -f data/$train_set/utt2dur ] \
      || metricvox-get-utt2dur data/$train_set
    [ -f data/$extractor_set/utt2spk ] || metricvox-subset-data-dir \
      --longest "$ivector_train_utts" data/$train_set data/$extractor_set
  fi
  [ -f exp/ivector/extractor.npz ] || metricvox-train-ivector-extractor --ubm exp/ivector/ubm.npz \
    --ivector-dim "$ivector_dim" --nj "$nj" --seed "$seed" "$(ivector_feats $extractor_set)" \
    exp/ivector/extractor.npz
  for name in $train_set $eval_parts; do
    [ -f exp/ivector/ivectors_$name.scp ] || metricvox-extract-ivectors --nj "$nj" \
      --extractor exp/ivector/extractor.npz "$(ivector_feats $name)" \
      ark,scp:"$PWD"/exp/ivector/ivectors_$name.ark,exp/ivector/ivectors_$name.scp
  done
  union_scp exp/ivector/ivectors_
  [ -f exp/ivector/plda.npz ] || metricvox-train-plda --lda-dim "$lda_dim" \
    --utt2spk data/$train_set/utt2spk scp:exp/ivector/ivectors_$train_set.scp exp/ivector/plda.npz
  score_lists ivector_cosine scp:exp/ivector/ivectors_$eval_set.scp
  score_lists ivector_plda --backend plda --model exp/ivector/plda.npz \
    scp:exp/ivector/ivectors_$eval_set.scp
  # GMM-UBM: every enrollment utterance MAP-adapts the UBM's means; trials score the average
  # log-likelihood ratio of the test frames.
  for part in $eval_parts; do
    [ -f exp/ivector/map_means_$part.scp ] || metricvox-map-adapt --ubm exp/ivector/ubm.npz \
      "$(ivector_feats $part)" \
      ark,scp:"$PWD"/exp/ivector/map_means_$part.ark,exp/ivector/map_means_$part.scp
  done
  union_scp exp/ivector/map_means_
  score_lists gmm_ubm --backend gmm-ubm --ubm exp/ivector/ubm.npz \
    scp:exp/ivector/map_means_$eval_set.scp "$(ivector_feats $eval_set)"
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

# train_network EXP DATA [OPTIONS]: the experiment $conf_dir/EXP.yaml trained on DATA in exp/EXP.
train_network() {
  train_once exp/$1 --config "$conf_dir/$1.yaml" --data "$2" --device "$device" --seed "$seed" "${@:3}"
}

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
  train_network resnet_multi data/${train_set}_spec161 --init "$(final_model exp/resnet_pretrain)"
fi

if run_stage 7; then
  echo "=== stage 7: embeddings and scores of every network on every trial list; fusion of the Siamese systems"
  mkdir -p exp/scores
  for exp in $nnet_systems; do
    input=mel80; extract_opts=(); backend=(--backend cosine)
    case $exp in
      resnet_*) input=spec161; extract_opts=(--num-crops 10) ;;   # 10 x 10 crop mean distance
      siamese_double) backend=(--backend siamese --model "$(final_model exp/$exp)") ;;
    esac
    parts=$eval_parts
    case $exp in siamese_*) [[ " $parts " == *" vox1_dev "* ]] || parts="vox1_dev $parts" ;; esac
    for part in $parts; do
      [ -f exp/$exp/embeddings_$part.scp ] || metricvox-extract --model "$(final_model exp/$exp)" \
        --device "$device" "${extract_opts[@]}" scp:data/${part}_$input/feats.scp \
        ark,scp:"$PWD"/exp/$exp/embeddings_$part.ark,exp/$exp/embeddings_$part.scp
    done
    union_scp exp/$exp/embeddings_
    score_lists $exp "${backend[@]}" scp:exp/$exp/embeddings_$eval_set.scp
    # The Siamese systems' scores on the dev list train their fusion.
    case $exp in siamese_*) [ -f exp/scores/${exp}_dev ] || metricvox-score --trials $dev_trials \
      "${backend[@]}" scp:exp/$exp/embeddings_vox1_dev.scp exp/scores/${exp}_dev ;; esac
  done
  for list in $(trial_lists | sed 's/:.*//'); do
    [ -f exp/scores/siamese_fusion_$list ] || metricvox-fuse-scores --train-trials $dev_trials \
      --train-scores exp/scores/siamese_double_dev,exp/scores/siamese_triple_dev \
      --apply-scores exp/scores/siamese_double_$list,exp/scores/siamese_triple_$list \
      exp/scores/siamese_fusion_$list
  done
fi

if run_stage 8; then
  echo "=== stage 8: report"
  systems="mfcc_stats ivector_cosine ivector_plda gmm_ubm $nnet_systems siamese_fusion"
  mkdir -p exp/results
  tables=()
  for pair in $(trial_lists); do
    list=${pair%%:*} trials=${pair#*:} curves=()
    for system in $systems; do
      scores=exp/scores/${system}_$list
      metricvox-compute-eer $trials $scores > exp/results/${system}_$list.tmp
      mv exp/results/${system}_$list.tmp exp/results/${system}_$list
      tables+=("$system:$list=exp/results/${system}_$list")
      curves+=("$system=$scores")
    done
    metricvox-plot-det --title "VoxCeleb1 $list ($corpus)" $trials exp/results/det_$list.png "${curves[@]}"
  done
  print_results() {
    echo "# VoxCeleb results ($corpus)"
    echo
    for name in $source_sets; do
      echo "- $name: $(wc -l < data/$name/utt2spk) utterances, $(wc -l < data/$name/spk2utt) speakers"
    done
    echo "- training set: $train_set ($(wc -l < data/$train_set/spk2utt) speakers); trial lists" \
      "(the columns below), as given with VoxCeleb1:"
    for pair in $(trial_lists); do
      source=$corpus/vox1/${pair%%:*}.txt
      [ "${pair%%:*}" != veri_test_noisy ] || source=$noisy_vox1/veri_test.txt
      echo "  - ${pair%%:*}: $source, as ${pair#*:}: $(wc -l < ${pair#*:}) trials"
    done
    [ ! -f exp/mining/mine_pairs.log ] || sed 's/^/- mining: /' exp/mining/mine_pairs.log
    echo "- DET curves: exp/results/det_LIST.png"
    echo
    metricvox-results-table --wide "${tables[@]}"
  }
  write_report exp/RESULTS.md print_results
  html_report $(for pair in $(trial_lists); do echo exp/results/det_${pair%%:*}.png; done)
fi
