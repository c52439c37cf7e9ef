#!/usr/bin/env bash
# `npm run lab [-- OPTIONS]`: set up, then open the notebooks in JupyterLab 4 with this project's
# TypeScript (tslab) kernel. Uses a JupyterLab 4 already on PATH (the conda route in
# environment.yml); otherwise makes and reuses the project's own `.venv` (scripts/venv.sh).
# Options go to JupyterLab unchanged: --no-browser, --port 8890, --ip 0.0.0.0, ...
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[lab] %s\n' "$*" >&2; }
bash scripts/setup.sh
export JUPYTER_PATH="$PWD/.jupyter/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"

jupyter=""
if command -v jupyter-lab >/dev/null 2>&1 && [ "$(jupyter-lab --version 2>/dev/null | cut -d. -f1)" = 4 ]; then
  jupyter=$(command -v jupyter-lab)
  say "using JupyterLab $("$jupyter" --version) from $jupyter"
else
  say "no JupyterLab 4 on PATH: using the project's .venv (made once; later runs reuse it)"
  jupyter="$(bash scripts/venv.sh)/jupyter-lab"
fi

args=(--notebook-dir=notebooks)
if [ "$(id -u)" = 0 ]; then
  # Jupyter refuses to run as root without it (containers and fresh VMs often run as root).
  say "running as root: adding --allow-root"
  args+=(--allow-root)
fi
exec "$jupyter" "${args[@]}" "$@"
