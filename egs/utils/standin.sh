# Sourced by a recipe after its options are parsed: which corpus it runs on, and with which
# settings. With --corpus empty, the recipe generates and uses the synthetic stand-in of
# size $standin_size under corpus/. Sets
#   corpus     the corpus root
#   standin    true for the stand-in, false for a real corpus
#   conf_dir   the experiment configs: --conf-dir when given (relative to the recipe's
#              directory, or absolute), else conf/standin-SIZE for the stand-in and conf (the
#              papers' settings) for a real corpus. A small real corpus runs the quick
#              settings with --conf-dir conf/standin-small.
#   settings   mini | small | real: the recipe picks its size-dependent defaults by it
standin=false
if [ -z "$corpus" ]; then corpus=corpus/standin-$standin_size; standin=true; fi
if $standin; then
  : "${conf_dir:=conf/standin-$standin_size}"
  case $standin_size in mini) settings=mini ;; *) settings=small ;; esac
else
  : "${conf_dir:=conf}"
  settings=real
fi
[ -d "$conf_dir" ] || { echo "$0: --conf-dir $conf_dir: no such directory (in $PWD)" >&2; exit 1; }
