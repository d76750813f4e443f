# Puts this checkout's metricvox tools first on PATH (Kaldi's path.sh), so a recipe
# runs the tools of the tree it lives in even when another metricvox is installed.
# The checkout is found from this file's real location, so a working directory made
# of symbolic links to a recipe's files works too.
MV_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
export PATH="$MV_ROOT/bin:$PATH"
export PYTHONPATH="$MV_ROOT${PYTHONPATH:+:$PYTHONPATH}"
export LC_ALL=C
