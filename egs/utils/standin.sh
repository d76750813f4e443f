# Sourced by a recipe after its options are parsed: which corpus it runs on, and with which
# settings. With --corpus empty, the recipe generates and uses the synthetic stand-in of
# size $standin_size under corpus/. Sets
#   corpus     the corpus root
#   standin    true for the stand-in, false for a real corpus
#   confdir    conf/standin-SIZE for the stand-in, conf (the papers' settings) otherwise,
#              unless the recipe's --confdir already set it
#   settings   mini | small | real: the recipe picks its size-dependent defaults by it
standin=false
if [ -z "$corpus" ]; then corpus=corpus/standin-$standin_size; standin=true; fi
if $standin; then
  : "${confdir:=conf/standin-$standin_size}"
  case $standin_size in mini) settings=mini ;; *) settings=small ;; esac
else
  : "${confdir:=conf}"
  settings=real
fi
