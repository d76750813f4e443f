# Sourced by a recipe after its options are parsed: the glue of its numbered stages.
#   run_stage N             true when stage N is within --stage .. --stop-stage
#   train_once DIR OPTS...  metricvox-train OPTS --out DIR, unless DIR/done says that training
#                           finished; resumed (--resume) when DIR/last.pt shows it was cut off;
#                           started through $train_cmd (cmd.sh) when set, e.g. on Slurm
#   final_model DIR         the model a finished training is used through: its best validation
#                           epoch (DIR/best.pt), else its last (DIR/last.pt)
#   write_report FILE CMD [ARGS...]
#                           CMD's output as FILE, shown once written; FILE appears only when CMD
#                           succeeded (every command in it, as under set -e), and never half written.
#                           Call it as a command of its own: inside an if or a || list bash turns
#                           set -e off for everything it runs, CMD's commands included.

run_stage() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }

# Not done after a failed training even where set -e is off (if train_once ..., train_once ... ||).
train_once() {
  local dir=$1 resume=()
  shift
  [ ! -f "$dir/done" ] || return 0
  [ ! -f "$dir/last.pt" ] || resume=(--resume)
  ${train_cmd:-} metricvox-train "$@" --out "$dir" "${resume[@]}" && touch "$dir/done"
}

final_model() { if [ -f "$1/best.pt" ]; then echo "$1/best.pt"; else echo "$1/last.pt"; fi; }

write_report() {
  local out=$1 status
  shift
  # The report runs in a subshell with set -e of its own, so that its first failing command
  # ends it; the caller's set -e is off meanwhile (restored on return by `local -`), so that
  # the failure comes back here and the temporary file can be removed.
  local -
  set +e
  (set -e; "$@") > "$out.tmp"
  status=$?
  if [ $status -ne 0 ]; then
    rm -f "$out.tmp"
    return $status
  fi
  mv "$out.tmp" "$out" && cat "$out"
}
