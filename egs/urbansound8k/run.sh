#!/usr/bin/env bash
# UrbanSound8K acoustic source classification (nonstationary-acoustic-source-metric-learning):
# MFCC + GMM and MFCC + linear SVM baselines, MobileNet embeddings trained with four margin
# losses at input lengths of 1 to 5 s, 10-fold cross-validation as the corpus defines it,
# balanced accuracies, confusion matrices, ROC/AUC, Tukey HSD, and the index of
# non-stationarity of each class.
#   ./run.sh [--stage N] [--stop-stage M] [--corpus DIR] [--classes "a b ..."] [--nj J]
#            [--device cpu|cuda] [--standin-size mini|small] [--seeds N] [--lengths "1 2 3 4 5"]
#            [--margins "normsoftmax sphereface amsoftmax aamsoftmax"] [--folds "1 ... 10"]
#            [--conf-dir DIR]
# --corpus names UrbanSound8K as distributed (audio/fold1..10, metadata/UrbanSound8K.csv).
# Without it, stage 0 generates a synthetic stand-in in that layout and every stage runs on
# it with the quick settings of conf/standin-SIZE/ and fewer margins, lengths, seeds and
# folds; --conf-dir names other settings. Every stage can be rerun; finished work (whose
# final output exists) is skipped.
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
corpus=                 # UrbanSound8K root; empty: the stand-in corpus under corpus/
standin_size=small      # mini or small, for the stand-in
conf_dir=               # the baselines', network's and INS configs; empty: conf, or conf/standin-SIZE
# Empty: the paper's eight classes (Sec. IV); foreground slices (salience 1) only. The mini
# stand-in has foreground slices of four of them only.
classes=
nj=2
device=cpu
# Empty: the paper's (4 margins, 1-5 s, 10 seeds: 4 x 5 x 10 seeds x 10 folds = its 2000
# trainings; all 10 folds) for a real corpus, fewer for the stand-in.
seeds=
lengths=
margins=
folds=
ins_per_class=          # recordings per class whose INS is computed (real: 20)
. utils/parse_options.sh
. ./path.sh
. ./cmd.sh

. utils/standin.sh
. utils/stage_helpers.sh
case $settings in
  mini) : "${classes:=air_conditioner dog_bark jackhammer street_music}" "${seeds:=1}" "${lengths:=1}" \
          "${margins:=normsoftmax amsoftmax}" "${folds:=1 5}" "${ins_per_class:=1}" ;;
  small) : "${seeds:=1}" "${lengths:=1 2}" "${margins:=normsoftmax sphereface amsoftmax aamsoftmax}" \
           "${folds:=1 2 3}" "${ins_per_class:=2}" ;;
  real) : "${seeds:=10}" "${lengths:=1 2 3 4 5}" "${margins:=normsoftmax sphereface amsoftmax aamsoftmax}" \
          "${folds:=1 2 3 4 5 6 7 8 9 10}" "${ins_per_class:=20}" ;;
esac
: "${classes:=air_conditioner car_horn dog_bark drilling engine_idling jackhammer siren street_music}"
# The paper's names of the losses, for the report.
margin_name() {
  case $1 in normsoftmax) echo "modified softmax" ;; sphereface) echo SphereFace ;;
    amsoftmax) echo CosFace ;; aamsoftmax) echo ArcFace ;; *) echo "$1" ;; esac
}
class_list=$(echo $classes | tr ' ' ',')

if run_stage 0 && $standin; then
  echo "=== stage 0: synthetic stand-in corpus ($standin_size) in $corpus"
  metricvox-synth-corpus --kind urbansound --size "$standin_size" --nj "$nj" --out "$corpus"
fi

if run_stage 1; then
  echo "=== stage 1: data directories (classes: $classes; test folds: $folds)"
  done_=true
  for k in $folds; do [ -f data/fold${k}_valid/utt2label ] || done_=false; done
  if ! $done_ || [ ! -f data/all/utt2label ]; then
    local/make_urbansound.py --classes "$class_list" --folds "$folds" "$corpus" data
  fi
  for k in $folds; do
    for part in "" _train _nnet _valid; do metricvox-validate-data-dir data/fold$k$part; done
  done
  # One copy of data/all per feature type, each with its own feats.scp.
  for input in mfcc275 mel40; do
    [ -d data/all_$input ] || metricvox-subset-data-dir --utt-list data/all/utt2spk data/all data/all_$input
  done
fi

if run_stage 2; then
  echo "=== stage 2: 275-d MFCC summary vectors (baselines), 40 log mel bands (network)"
  # The corpus mixes 8-96 kHz, 8-32 bit, mono and stereo: the feature tools read every wav
  # as it is (soundfile), average the channels and resample to the presets' 48 kHz
  # (--allow-resample), so no converted copy of the corpus and no sox pipe is needed.
  utils/make_feats.sh --nj "$nj" --cmd "$cmd" --type mfcc-stats \
    --extra "--preset urbansound-mfcc-stats --allow-resample" data/all_mfcc275 exp/make_feats feats
  utils/make_feats.sh --nj "$nj" --cmd "$cmd" --type logmel \
    --extra "--preset urbansound-logmel --allow-resample" data/all_mel40 exp/make_feats feats
  for k in $folds; do
    for part in _nnet _valid; do
      [ -f data/fold$k$part/feats.scp ] || utils/filter_scp.sh data/fold$k$part/utt2spk \
        data/all_mel40/feats.scp > data/fold$k$part/feats.scp
    done
  done
fi

if run_stage 3; then
  echo "=== stage 3: MFCC + GMM and MFCC + linear SVM, trained on nine folds, tested on one"
  feats=scp:data/all_mfcc275/feats.scp
  for k in $folds; do
    dir=exp/gmm/fold$k
    [ -f $dir/classes ] || metricvox-train-class-gmms --config "$conf_dir/class_gmm.conf" --nj "$nj" \
      --utt2label data/fold${k}_train/utt2label $feats $dir
    [ -f $dir/scores ] || metricvox-score-classes --method gmm --model $dir \
      --utts data/fold$k/utt2label $feats $dir/scores
    dir=exp/svm/fold$k
    mkdir -p $dir
    [ -f $dir/model.npz ] || metricvox-train-class-svm --config "$conf_dir/class_svm.conf" \
      --utt2label data/fold${k}_train/utt2label $feats $dir/model.npz
    [ -f $dir/scores ] || metricvox-score-classes --method svm --model $dir/model.npz \
      --utts data/fold$k/utt2label $feats $dir/scores
  done
fi

if run_stage 4; then
  echo "=== stage 4: MobileNet embeddings: margins ($margins) x lengths ($lengths s) x $seeds seed(s) x folds"
  # Each run trains on eight folds, keeps the epoch of best accuracy on the ninth (foldK_valid),
  # embeds every file in non-overlapping segments of the input length and classifies the test
  # fold's files by their average cosine distance to the centroids of the nine training folds.
  for margin in $margins; do for length in $lengths; do for ((seed = 1; seed <= seeds; seed++)); do
    for k in $folds; do
      dir=exp/nnet/${margin}_${length}s/seed$seed/fold$k
      [ -f $dir/scores ] && continue
      mkdir -p $dir
      [ -f $dir/done ] || local/make_nnet_config.py --loss $margin --seconds $length \
        --validation-data data/fold${k}_valid "$conf_dir/mobilenet.yaml" $dir/run.yaml
      train_once $dir --config $dir/run.yaml --data data/fold${k}_nnet --device "$device" \
        --seed "$seed" --quiet
      # Keep only the model used (2000 runs of 20 epochs would otherwise fill a disk), once
      # the training is marked done: a run cut off before that still resumes from last.pt.
      [ -f $dir/best.pt ] || mv $dir/last.pt $dir/best.pt
      rm -f $dir/epoch_*.pt $dir/last.pt
      metricvox-extract --model $dir/best.pt --device "$device" --segment-seconds $length --quiet \
        scp:data/all_mel40/feats.scp ark:$dir/embeddings.ark
      metricvox-score-classes --method centroid --distance cosine \
        --train-embeddings ark:$dir/embeddings.ark --train-utt2label data/fold${k}_train/utt2label \
        --utts data/fold$k/utt2label ark:$dir/embeddings.ark $dir/scores
    done
  done; done; done
fi

if run_stage 5; then
  echo "=== stage 5: balanced accuracy, confusion matrices, ROC/AUC; Tukey HSD between margins and lengths"
  mkdir -p exp/results
  report() {   # NAME TITLE SCORES...: the classification report of one system over the folds
    local name=$1 title=$2; shift 2
    metricvox-classification-report --utt2label data/all/utt2label --classes "$class_list" \
      --roc exp/results/roc_$name.png --title "$title" --json exp/results/$name.json \
      --accuracies exp/results/$name.acc "$@" > exp/results/$name.txt
  }
  report gmm "MFCC + GMM" $(for k in $folds; do echo exp/gmm/fold$k/scores; done)
  report svm "MFCC + SVM" $(for k in $folds; do echo exp/svm/fold$k/scores; done)
  by_margin=() by_length=() by_both=()
  for margin in $margins; do
    for length in $lengths; do
      system=${margin}_${length}s
      for ((s = 1; s <= seeds; s++)); do
        report ${system}_seed$s "$(margin_name $margin), ${length} s, seed $s" \
          $(for k in $folds; do echo exp/nnet/$system/seed$s/fold$k/scores; done)
      done
      cat $(for ((s = 1; s <= seeds; s++)); do echo exp/results/${system}_seed$s.acc; done) \
        > exp/results/$system.acc
      by_both+=("$system=exp/results/$system.acc")
    done
    cat $(for l in $lengths; do echo exp/results/${margin}_${l}s.acc; done) > exp/results/$margin.acc
    by_margin+=("$(margin_name $margin | tr ' ' _)=exp/results/$margin.acc")
  done
  for length in $lengths; do
    cat $(for m in $margins; do echo exp/results/${m}_${length}s.acc; done) > exp/results/${length}s.acc
    by_length+=("${length}s=exp/results/${length}s.acc")
  done
  compare() {   # NAME TITLE NAME=ACCURACIES...: box plot and Tukey HSD (two systems at least)
    local name=$1 title=$2; shift 2
    if [ $# -lt 2 ]; then
      echo "one system only ($*): nothing to compare" > exp/results/tukey_$name.txt
      rm -f exp/results/box_$name.png
      return
    fi
    metricvox-compare-systems --box-plot exp/results/box_$name.png --title "$title" "$@" \
      > exp/results/tukey_$name.txt
  }
  compare margin_length "balanced accuracy per margin and input length" "${by_both[@]}"
  compare margins "balanced accuracy per margin (all lengths)" "${by_margin[@]}"
  compare lengths "balanced accuracy per input length (all margins)" "${by_length[@]}"
  # Table III: the (margin, length) of highest mean balanced accuracy, its first seed.
  best=$(for system in "${by_both[@]}"; do
      awk -v s="${system%%=*}" '{ t += $1; n++ } END { printf "%.6f %s\n", t / n, s }' "${system#*=}"
    done | sort -k1,1gr | head -n 1 | cut -d' ' -f2)
  echo "$best" > exp/results/selected_network
  compare systems "balanced accuracy of the baselines and the selected network" \
    "MFCC+GMM=exp/results/gmm.acc" "MFCC+SVM=exp/results/svm.acc" "$best=exp/results/$best.acc"
fi

if run_stage 6; then
  echo "=== stage 6: index of non-stationarity per class ($ins_per_class recordings each)"
  mkdir -p exp/ins
  if [ ! -f exp/ins/ins.txt.classes ]; then
    awk -v n="$ins_per_class" '{ for (i = 2; i <= NF && i <= n + 1; i++) print $i }' \
      data/all/spk2utt | sort > exp/ins/utts
    utils/filter_scp.sh exp/ins/utts data/all/wav.scp > exp/ins/wav.scp
    utils/filter_scp.sh exp/ins/utts data/all/utt2label > exp/ins/utt2label
    metricvox-ins --config "$conf_dir/ins.conf" --utt2label exp/ins/utt2label --plot exp/ins/ins.png \
      --quiet scp:exp/ins/wav.scp exp/ins/ins.txt
  fi
  mkdir -p exp/results
  cp exp/ins/ins.png exp/results/ins.png
fi

if run_stage 7; then
  echo "=== stage 7: report"
  best=$(cat exp/results/selected_network)
  section() { echo; echo "## $1"; echo; echo '```'; cat "$2"; echo '```'; }
  print_results() {
    echo "# UrbanSound8K results ($corpus)"
    echo
    echo "- classes: $classes (foreground slices)"
    echo "- files: $(wc -l < data/all/utt2label); test folds: $folds (train on the nine others)"
    echo "- network runs: margins $margins; lengths $lengths s; $seeds seed(s); config $conf_dir/mobilenet.yaml"
    echo "- figures: exp/results/roc_*.png (ROC/AUC per class), box_systems.png,"
    echo "  box_margin_length.png, box_margins.png, box_lengths.png (balanced accuracy),"
    echo "  ins.png (INS per class); every run's report: exp/results/*_seed*.txt"
    section "Baselines against the selected network (balanced accuracy %, Tukey HSD)" \
      exp/results/tukey_systems.txt
    section "Table I: MFCC + GMM (confusion in % of each true class)" exp/results/gmm.txt
    section "Table II: MFCC + SVM" exp/results/svm.txt
    section "Table III: metric learning, ${best} (best mean balanced accuracy), seed 1" \
      exp/results/${best}_seed1.txt
    section "Tukey HSD between margins (all lengths pooled)" exp/results/tukey_margins.txt
    section "Tukey HSD between input lengths (all margins pooled)" exp/results/tukey_lengths.txt
    section "Tukey HSD between every margin and length" exp/results/tukey_margin_length.txt
    section "Index of non-stationarity per class (label scale mean_ins mean_threshold fraction_nonstationary count)" \
      exp/ins/ins.txt.classes
  }
  write_report exp/RESULTS.md print_results
  # The ROC curves of the three tables' systems; the box plots that were drawn (two systems
  # at least); the INS per class.
  html_report exp/results/roc_{gmm,svm,${best}_seed1}.png \
    $(for name in systems margins lengths margin_length; do
        [ ! -f exp/results/box_$name.png ] || echo exp/results/box_$name.png; done) \
    exp/results/ins.png
fi
