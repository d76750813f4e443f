# Sourced by a recipe after it has set its option defaults as shell variables:
#   stage=0; stop_stage=100; corpus=; nj=2
#   . utils/parse_options.sh
# turns "--stop-stage 5" or "--stop-stage=5" into stop_stage=5 for every variable
# already defined, and stops with a message on an option the recipe does not have.
# "--help" prints the options and their current values. Leftover words stay in "$@".

# The script's options are the variables it assigns before it sources this file. Its file is
# $0, or $0's base name when the script has changed to its own directory (a recipe's
# `cd "$(dirname "$0")"`) and was started by a path relative to another one.
# recipe_options prints their names (stage_helpers.sh records their values with each run).
recipe_options() {
  local script=$0
  [ -f "$script" ] || script=${0##*/}
  awk '/^[[:space:]]*\.[[:space:]].*parse_options\.sh/ { exit }
      /^[a-z][a-z0-9_]*=/ { sub(/=.*/, ""); if (!seen[$0]++) print }' "$script"
}
_mv_usage() {
  local _mv_option
  echo "usage: $0 [options]" >&2
  echo "options (current values):" >&2
  for _mv_option in $(recipe_options); do
    echo "  --${_mv_option//_/-} ${!_mv_option-}" >&2
  done
}

# The command line as typed, quoted for the shell (recorded with each run).
recipe_command_line=$(printf '%q ' "$0" "$@")
recipe_command_line=${recipe_command_line% }
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h) _mv_usage; exit 0 ;;
    --*=*) _mv_name=${1%%=*}; _mv_value=${1#*=}; shift ;;
    --*)
      _mv_name=$1
      if [ $# -lt 2 ]; then echo "$0: option $1 needs a value" >&2; exit 1; fi
      _mv_value=$2; shift 2 ;;
    *) break ;;
  esac
  _mv_name=${_mv_name#--}
  _mv_name=${_mv_name//-/_}
  if [ -z "${!_mv_name+set}" ] || ! [[ $_mv_name =~ ^[a-z][a-z0-9_]*$ ]]; then
    echo "$0: unknown option --${_mv_name//_/-} (see $0 --help)" >&2
    exit 1
  fi
  printf -v "$_mv_name" '%s' "$_mv_value"
done
unset _mv_name _mv_value
true
