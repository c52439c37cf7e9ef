#!/usr/bin/env bash
# `npm run lab`: set up, then open the notebooks in JupyterLab (or the classic notebook when
# JupyterLab is not installed) with this project's tslab kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export JUPYTER_PATH="$PWD/.jupyter/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
if jupyter lab --version >/dev/null 2>&1; then
  exec jupyter lab --notebook-dir=notebooks "$@"
fi
echo "[lab] JupyterLab is not installed (conda env create -f environment.yml); opening the classic notebook." >&2
exec jupyter notebook --notebook-dir=notebooks "$@"
