# Sourced by a recipe after its options are parsed: the glue of its numbered stages.
#   run_stage N             true when stage N is within --stage .. --stop-stage; prints the
#                           wall and CPU time of the stage before it, and at a successful end
#                           that of the last stage and of the whole run; appends those of each
#                           stage to exp/stage_times.tsv and, at the run's first stage, its
#                           command line and options (parse_options.sh) to exp/run_settings.tsv
#   train_once DIR OPTS...  metricvox-train OPTS --out DIR, unless DIR/done says that training
#                           with the same settings (training_settings) finished; other
#                           settings there are an error: the old model is never reused silently;
#                           resumed (--resume) when DIR/last.pt shows it was cut off; started
#                           through $train_cmd (cmd.sh) when set, e.g. on Slurm. OPTS are
#                           --name value pairs
#   final_model DIR         the model a finished training is used through: its best validation
#                           epoch (DIR/best.pt), else its last (DIR/last.pt)
#   write_report FILE CMD [ARGS...]
#                           CMD's output as FILE, shown once written; FILE appears only when CMD
#                           succeeded (every command in it, as under set -e), and never half written.
#                           Call it as a command of its own: inside an if or a || list bash turns
#                           set -e off for everything it runs, CMD's commands included.
#   html_report FIGURE...   exp/report.html: exp/RESULTS.md, the FIGUREs embedded, the runs'
#                           settings and stage times (metricvox-html-report)

run_stage() {
  [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ] || return 1
  [ "${_stage_running:-}" != "$1" ] || return 0
  _stage_report
  _stage_running=$1 _stage_wall=$SECONDS _stage_cpu=$(_cpu_ticks)
  [ -n "${_run_cpu:-}" ] || { _run_cpu=$_stage_cpu _run_wall=$SECONDS _first_ran=$1; _record_settings; }
  _last_ran=$1
}

# The records metricvox-html-report reads: tab-separated, a header line, a run named by its
# start time (UTC). A tab or newline in a value becomes a space.
_settings_tsv=exp/run_settings.tsv
_times_tsv=exp/stage_times.tsv
_record() {   # FILE HEADER FIELD...
  local file=$1 header=$2 fields=() field
  shift 2
  [ -s "$file" ] || echo "$header" > "$file"
  for field; do fields+=("${field//[$'\t\n']/ }"); done
  (IFS=$'\t'; echo "${fields[*]}") >> "$file"
}
_record_settings() {
  local _mv_option   # not a name a recipe's option could have: ${!_mv_option} is its value
  _run_started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  mkdir -p "$(dirname $_settings_tsv)"
  _record $_settings_tsv $'run\toption\tvalue' "$_run_started" command "${recipe_command_line:-$0}"
  declare -F recipe_options > /dev/null || return 0
  for _mv_option in $(recipe_options); do
    _record $_settings_tsv $'run\toption\tvalue' "$_run_started" $_mv_option "${!_mv_option-}"
  done
}

# The time each stage took, printed when the next one starts and, for the last one, when
# the recipe ends well; then the whole run's. CPU time is this machine's (the recipe's
# processes and all they waited for), not that of jobs sent to a cluster.
_clock_ticks=$(getconf CLK_TCK)
# utime + stime + cutime + cstime of the recipe's shell: the sum of getrusage's RUSAGE_SELF
# and RUSAGE_CHILDREN (bench/scale_rehearsal.py's figure); bash's `times` prints it too, but
# inside $( ) for the subshell only.
_cpu_ticks() {
  local fields
  read -r -a fields < /proc/$$/stat   # $$ is the recipe's shell, also inside $( )
  echo $((fields[13] + fields[14] + fields[15] + fields[16]))
}
_minutes() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
# _took WALL_START CPU_TICKS_START: "XmYYs wall, XmYYs CPU" since then.
_took() {
  echo "$(_minutes $((SECONDS - $1))) wall, $(_minutes $((($(_cpu_ticks) - $2) / _clock_ticks))) CPU"
}
_stage_report() {
  [ -n "${_stage_running:-}" ] || return 0
  local cpu=$((($(_cpu_ticks) - _stage_cpu) / _clock_ticks)) wall=$((SECONDS - _stage_wall))
  echo "# stage $_stage_running took $(_minutes $wall) wall, $(_minutes $cpu) CPU"
  _record $_times_tsv $'run\tstage\twall_seconds\tcpu_seconds' "$_run_started" "$_stage_running" \
    $wall $cpu
  _stage_running=
}
_run_report() {
  [ "$1" -eq 0 ] && [ -n "${_run_cpu:-}" ] || return 0
  _stage_report
  echo "# stages $_first_ran..$_last_ran took $(_took "$_run_wall" "$_run_cpu")"
}
trap '_run_report $?' EXIT

# Not done after a failed training even where set -e is off (if train_once ..., train_once ... ||).
train_once() {
  local dir=$1 resume=() settings
  shift
  settings=$(training_settings "$@") || return 1
  if [ -f "$dir/done" ]; then
    case $(cat "$dir/done") in
      "settings $settings") return 0 ;;
      "") echo "# $dir/done records no settings (an older run): its model is used as it is"
          return 0 ;;
    esac
    echo "$0: $dir was trained with other settings (config, data, seed or --init changed);" \
      "remove $dir to train it again" >&2
    return 1
  fi
  [ ! -f "$dir/last.pt" ] || resume=(--resume)
  ${train_cmd:-} metricvox-train "$@" --out "$dir" "${resume[@]}" \
    && echo "settings $settings" > "$dir/done"
}

# training_settings OPTS...: one hash of what decides a training's result: its options
# (but --device), the --config YAML's text, the --data dir's utt2spk and feats.scp, and
# the --init model. An option is followed by its value unless the next word is an option.
training_settings() {
  local args=("$@") i name value
  for ((i = 0; i < ${#args[@]}; i++)); do
    name=${args[i]} value=
    if [[ $name == --* ]] && ((i + 1 < ${#args[@]})) && [[ ${args[i + 1]} != --* ]]; then
      value=${args[++i]}
    fi
    case $name in
      --device) continue ;;
      --config|--init) cat "$value" ;;
      --data) cat "$value/utt2spk" "$value/feats.scp" 2>/dev/null || true ;;
    esac
    echo "$name $value"
  done | sha256sum | cut -d' ' -f1
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

html_report() {
  local times=()
  [ ! -f $_times_tsv ] || times=(--stage-times $_times_tsv)
  metricvox-html-report --settings $_settings_tsv "${times[@]}" exp/RESULTS.md exp/report.html "$@"
  echo "# report: $PWD/exp/report.html (open it in a browser)"
}
