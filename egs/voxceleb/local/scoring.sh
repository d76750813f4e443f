# Sourced by run.sh: how a system is scored on VoxCeleb1's trial lists.
#   trial_lists             the lists this corpus has, one NAME:TRIALS_FILE a line
#   score_lists SYSTEM [metricvox-score options and inputs]
#                           exp/scores/SYSTEM_NAME for every list NAME
#   union_scp PREFIX        PREFIX$eval_set.scp, the union of PREFIX<part>.scp over $eval_parts
# (eval_set and eval_parts are set by run.sh once the data dirs exist).

# The NAME is the list's own file name, so the report says exactly which list a number comes
# from: -O, its cleaned version, -E, -H; veri_test_noisy is -O on the noisy copy of the test set.
trial_lists() {
  local pair
  for pair in veri_test:data/vox1_test/trials veri_test_noisy:data/vox1_test_noisy/trials \
      veri_test2:data/vox1_test/trials_veri_test2 \
      list_test_all2:data/vox1_all/trials_list_test_all2 \
      list_test_hard2:data/vox1_all/trials_list_test_hard2; do
    [ ! -f "${pair#*:}" ] || echo "$pair"
  done
}

# One scoring of all the lists' trials (data/trials_union, made in stage 1), then each list's
# scores picked out of it.
score_lists() {
  local system=$1 pair out; shift
  [ -f exp/scores/${system}_union ] || metricvox-score --trials data/trials_union "$@" \
    exp/scores/${system}_union
  for pair in $(trial_lists); do
    out=exp/scores/${system}_${pair%%:*}
    [ -f $out ] || { utils/select_scores.sh "${pair#*:}" exp/scores/${system}_union > $out.tmp \
      && mv $out.tmp $out; }
  done
}

union_scp() {
  local out=$1$eval_set.scp part files=()
  for part in $eval_parts; do files+=("$1$part.scp"); done
  [ -f "$out" ] || { cat "${files[@]}" | LC_ALL=C sort > "$out.tmp" && mv "$out.tmp" "$out"; }
}
