#!/usr/bin/env bash
# Singer identification and verification with deep metric learning (singer-recognition-
# metric-learning): Thin ResNet34 + SAP trained with triplet, GE2E, prototypical and angular
# prototypical losses, on the mixes and on Spleeter-separated vocals; Tables II, III, IV.
#   ./run.sh [--stage N] [--stop-stage M] [--corpus DIR] [--separate true|false] [--nj J]
#            [--device cpu|cuda] [--standin-size mini|small] [--seed S] [--conf-dir DIR]
# --corpus names a catalogue laid out as README.md says. Without it, stage 0 generates the
# synthetic singer stand-in in that layout and the experiments use conf/standin-SIZE/ (fewer
# systems, few epochs); a real catalogue uses conf/ (the paper's settings), or the configs
# --conf-dir names. Every stage can be rerun: finished work (whose final output exists) is skipped.
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
corpus=                 # catalogue root; empty: the stand-in under corpus/
standin_size=small      # mini or small, for the stand-in
conf_dir=               # the experiment configs; empty: conf, or conf/standin-SIZE
separate=true           # also run every system on Spleeter-separated vocals (metricvox-separate)
seed=1
nj=2
device=cpu
# Clip and protocol sizes; empty: the paper's for a real catalogue, small ones for the stand-in.
clip_seconds=3.5        # clip length (paper: 3.5 s, 350 frames)
min_voiced=0.5          # fraction of a clip inside phrase (or VAD-voiced) time
train_clips=            # clips per training / validation track
test_clips=             # clips per test track
min_spacing=            # seconds between two clips' starts in a track
queries_per_singer=     # identification queries per test singer and query length
trials_per_singer=      # verification trials per test singer and model size (paper: 120)
. utils/parse_options.sh
. ./path.sh
. ./cmd.sh

. utils/standin.sh
. utils/stage_helpers.sh
case $settings in
  mini) : "${train_clips:=3}" "${test_clips:=3}" "${min_spacing:=0.5}" "${queries_per_singer:=10}" "${trials_per_singer:=20}" ;;
  small) : "${train_clips:=4}" "${test_clips:=3}" "${min_spacing:=1.0}" "${queries_per_singer:=20}" "${trials_per_singer:=60}" ;;
  real) : "${train_clips:=10}" "${test_clips:=5}" "${min_spacing:=3.5}" "${queries_per_singer:=20}" "${trials_per_singer:=120}" ;;
esac
case $separate in true|false) ;; *) echo "$0: --separate must be true or false" >&2; exit 1 ;; esac

sets="train valid test_seen test_unseen"
test_sets="test_seen test_unseen"
# The systems are the experiment configs present in $conf_dir, in the paper's order.
systems=
for exp in triplet_a0.1 triplet_a0.2 ge2e_m3 ge2e_m4 pnl_m3 pnl_m4 apnl_m3 apnl_m4; do
  [ -f "$conf_dir/$exp.yaml" ] && systems+="$exp "
done
[ -n "$systems" ] || { echo "$0: no experiment config in $conf_dir" >&2; exit 1; }
# Conditions: mix (the tracks as they are), and the separated vocals unless --separate false.
conditions() { if $separate; then echo "mix vocals"; else echo mix; fi; }
# A condition's recording-level data dir of a set.
tracks_dir() { if [ "$1" = mix ]; then echo data/$2; else echo data/vocals/$2; fi; }

if run_stage 0 && $standin; then
  echo "=== stage 0: synthetic singer stand-in ($standin_size) in $corpus"
  metricvox-synth-corpus --kind singer --size "$standin_size" --seed "$seed" --nj "$nj" --out "$corpus"
fi

if run_stage 1; then
  echo "=== stage 1: track-level data dirs from $corpus"
  # test_unseen/voiced is the last file the script writes.
  [ -f data/test_unseen/voiced ] || local/prepare_catalogue.py --clip-seconds "$clip_seconds" \
    --min-voiced "$min_voiced" --seed "$seed" --nj "$nj" "$corpus" data
  for name in $sets; do metricvox-validate-data-dir data/$name; done
fi

if run_stage 2 && $separate; then
  echo "=== stage 2: vocal separation (Spleeter 2 stems), 16 kHz"
  for name in $sets; do
    out=data/vocals/$name
    [ -f $out/wav.scp ] && continue
    mkdir -p $out
    metricvox-separate --stem vocals --sample-rate 16000 --device "$device" --nj "$nj" \
      scp:data/$name/wav.scp $out/audio
    cp data/$name/{utt2spk,spk2utt,reco2dur,voiced} $out/
    cp $out/audio/wav.scp $out/wav.scp   # last: a data dir with wav.scp is finished
    metricvox-validate-data-dir $out
  done
fi

if run_stage 3; then
  echo "=== stage 3: $clip_seconds s clips in phrase time; 64-bin log-mel (16 kHz, 25 ms Hamming, 10 ms hop)"
  for cond in $(conditions); do
    for name in $sets; do
      [ -f "$(tracks_dir $cond $name)/wav.scp" ] || { echo "$0: no $(tracks_dir $cond $name)/wav.scp:" \
        "run stage 2 (separation) first, or pass --separate false" >&2; exit 1; }
      clips=data/$cond/${name}_clips
      per_track=$train_clips
      case $name in test_*) per_track=$test_clips ;; esac
      [ -f $clips/segments ] || local/make_clips.py --clip-seconds "$clip_seconds" \
        --clips-per-track "$per_track" --min-voiced "$min_voiced" --min-spacing "$min_spacing" \
        --seed "$seed" "$(tracks_dir $cond $name)" $clips
      # The preset resamples the 44.1 kHz MP3 (or the 16 kHz separated vocals) to 16 kHz;
      # snip-edges false gives the paper's 350 frames per 3.5 s.
      utils/make_feats.sh --nj "$nj" --cmd "$cmd" --type logmel \
        --extra "--preset singer-logmel64 --snip-edges false --allow-resample" \
        $clips exp/make_feats/$cond feats/$cond
    done
    [ -f data/$cond/valid_clips/trials ] || metricvox-make-trials --per-utterance 2 --seed "$seed" \
      data/$cond/valid_clips data/$cond/valid_clips/trials
  done
  # One protocol for both conditions: the separated clips have the same names.
  for name in $test_sets; do
    [ -f data/protocol/$name/trials_5 ] || local/make_protocol.py \
      --queries-per-singer "$queries_per_singer" --trials-per-singer "$trials_per_singer" \
      --seed "$seed" data/mix/${name}_clips data/protocol/$name
  done
fi

if run_stage 4; then
  echo "=== stage 4: Thin ResNet34 + SAP with each loss: $systems"
  configs=$conf_dir   # by an absolute path: the trainings run from data/CONDITION
  [[ $configs == /* ]] || configs=$PWD/$configs
  train_condition() {
    for exp in $systems; do
      dir=exp/$1/$exp
      mkdir -p $dir
      # From data/$1, where the configs' validation paths point.
      (cd data/$1 && train_once "$OLDPWD/$dir" --config "$configs/$exp.yaml" \
        --data train_clips --device "$device" --seed "$seed")
    done
  }
  conds=($(conditions))
  if [ "$nj" -lt 2 ] || [ ${#conds[@]} -lt 2 ] || [ "$device" != cpu ]; then
    for cond in "${conds[@]}"; do train_condition $cond; done
  else
    # The conditions' trainings run side by side (one process per condition, logs in
    # exp/CONDITION/train.log), each with an equal share of the cores unless
    # OMP_NUM_THREADS says otherwise: two single-threaded trainings use two cores better
    # than one two-threaded one.
    threads=${OMP_NUM_THREADS:-$(( $(nproc) / ${#conds[@]} ))}
    [ "$threads" -ge 1 ] || threads=1
    pids=()
    for cond in "${conds[@]}"; do
      mkdir -p exp/$cond
      echo "training the $cond systems (log: exp/$cond/train.log)"
      (export OMP_NUM_THREADS=$threads; train_condition $cond) > exp/$cond/train.log 2>&1 &
      pids+=($!)
    done
    failed=
    for i in "${!pids[@]}"; do
      wait ${pids[$i]} || failed+="exp/${conds[$i]}/train.log "
    done
    if [ -n "$failed" ]; then
      for log in $failed; do tail -n 20 $log >&2; done
      echo "$0: training failed: see $failed" >&2
      exit 1
    fi
  fi
fi

if run_stage 5; then
  echo "=== stage 5: clip embeddings; identification with 1, 3, 5 clips per query"
  for cond in $(conditions); do
    for exp in $systems; do
      dir=exp/$cond/$exp
      for name in $test_sets; do
        [ -f $dir/emb_$name.scp ] || metricvox-extract --model "$(final_model $dir)" \
          --device "$device" --input feats scp:data/$cond/${name}_clips/feats.scp \
          ark,scp:"$PWD"/$dir/emb_$name.ark,$dir/emb_$name.scp
        mkdir -p $dir/results/$name
        for n in 1 3 5; do
          result=$dir/results/$name/top_$n
          [ -f $result ] && continue
          metricvox-identify --enroll-map data/protocol/$name/enroll.map \
            --query-map data/protocol/$name/query_$n.map scp:$dir/emb_$name.scp > $result.tmp
          mv $result.tmp $result
        done
      done
    done
  done
fi

if run_stage 6; then
  echo "=== stage 6: verification EER, singer models of 1 (one-on-one), 3 and 5 clips"
  for cond in $(conditions); do
    for exp in $systems; do
      dir=exp/$cond/$exp
      for name in $test_sets; do
        for n in 1 3 5; do
          result=$dir/results/$name/eer_$n
          [ -f $result ] && continue
          trials=data/protocol/$name/trials_$n
          metricvox-score --trials $trials --enroll-map data/protocol/$name/models_$n.map \
            --average embedding scp:$dir/emb_$name.scp $dir/results/$name/scores_$n
          metricvox-compute-eer $trials $dir/results/$name/scores_$n > $result.tmp
          mv $result.tmp $result
        done
      done
    done
  done
fi

if run_stage 7; then
  echo "=== stage 7: report"
  print_results() {
    echo "# Singer recognition results ($corpus)"
    echo
    for name in $sets; do
      echo "- $name: $(wc -l < data/$name/utt2spk) tracks of $(wc -l < data/$name/spk2utt) singers," \
        "$(wc -l < data/mix/${name}_clips/segments) clips of $clip_seconds s"
    done
    echo "- bad tracks skipped: $(wc -l < data/bad_tracks) (data/bad_tracks)"
    echo "- identification: $queries_per_singer queries per singer and query length against the" \
      "centroids of 6 songs' clips; verification: $trials_per_singer trials per singer and model size"
    echo
    local/make_report.py --systems "$systems" --conditions "$(conditions)" exp
  }
  write_report exp/RESULTS.md print_results
  html_report
fi
