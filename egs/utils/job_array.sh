# Sourced by the job runners (run_local.sh, run_slurm.sh), after they have taken their own
# options from "$@": parses "[JOB=a:b] LOG COMMAND [ARGS...]", Kaldi run.pl style, and gives
#   first, last     the job indices (1:1 without JOB=)
#   job_log I       LOG with the index variable replaced by I
#   job_command I   COMMAND ARGS as one shell line, the index replaced by I: an argument holding
#                   white space is quoted; a bare '|' (written \| in the recipe) is a pipe
#   run_logged I    runs job I with its output and a start/end header in its log; its status
#   report_failures LOG...  exit 1 with the tail of the first failed log, if any job failed
first=1; last=1; job_var=
if [[ "${1:-}" =~ ^([A-Za-z_]+)=([0-9]+):([0-9]+)$ ]]; then
  job_var=${BASH_REMATCH[1]}; first=${BASH_REMATCH[2]}; last=${BASH_REMATCH[3]}; shift
fi
if [ $# -lt 2 ]; then
  echo "usage: $0 [options] [JOB=1:N] LOG COMMAND [ARGS...]" >&2; exit 1
fi
log_template=$1; shift
command_line=
for arg in "$@"; do
  if [[ "$arg" =~ [[:space:]] ]]; then arg="'${arg//\'/\'\\\'\'}'"; fi
  command_line+="$arg "
done

_substitute() {  # _substitute TEXT INDEX
  if [ -n "$job_var" ]; then printf '%s' "${1//$job_var/$2}"; else printf '%s' "$1"; fi
}
job_log() { _substitute "$log_template" "$1"; }
job_command() { _substitute "$command_line" "$1"; }

run_logged() {
  local log command status
  log=$(job_log "$1"); command=$(job_command "$1")
  mkdir -p "$(dirname "$log")"
  { echo "# $command"; echo "# started $(date) on $(hostname)"; } > "$log"
  bash -o pipefail -c "$command" >> "$log" 2>&1; status=$?
  echo "# ended $(date) with status $status" >> "$log"
  return $status
}

# A job failed when its log does not end with status 0 (a job that never ran has no such line).
report_failures() {
  local log failed=0 first_failed=
  for log in "$@"; do
    if ! tail -n 1 "$log" 2>/dev/null | grep -q '^# ended .* with status 0$'; then
      failed=$((failed + 1)); [ -n "$first_failed" ] || first_failed=$log
    fi
  done
  if [ $failed -gt 0 ]; then
    echo "$0: $failed of $# jobs failed; see $first_failed:" >&2
    tail -n 15 "$first_failed" >&2 2>/dev/null || echo "(no log written)" >&2
    exit 1
  fi
}
