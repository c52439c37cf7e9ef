#!/usr/bin/env bash
# Makes (once) and reuses the project's Python virtual environment `.venv` with JupyterLab 4,
# Notebook 7 and plotly (whose wheel carries the JupyterLab/Notebook renderer for Plotly figures).
# Used by `npm run lab` when no JupyterLab 4 is on PATH, and by `npm run test:browser`.
# pip uses the machine's own configuration (index, mirrors, proxies: `pip config list`); we never
# name an index, but we bound retries and timeouts so an unreachable configured index costs seconds.
# Prints nothing on stdout but the venv's bin folder (for callers: bin=$(bash scripts/venv.sh)).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[venv] %s\n' "$*" >&2; }
die() { printf '[venv] ERROR: %s\n' "$*" >&2; exit 1; }
source scripts/apt.sh

venv=.venv
# Versions that agree with environment.yml (the conda route).
requirements=("jupyterlab>=4,<5" "notebook>=7,<8" "plotly>=6")
stamp="$venv/.classifiers-requirements"
wanted="${requirements[*]}"

if [ -x "$venv/bin/jupyter-lab" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  echo "$PWD/$venv/bin"
  exit 0
fi

python=""
for p in python3 /usr/bin/python3 python; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then python=$(command -v "$p"); break; fi
done
[ -n "$python" ] || die "Python 3.9 or newer is needed for JupyterLab (or use the conda route: conda env create -f environment.yml)."

if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv with $python ($("$python" --version 2>&1))..."
  if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    # Debian's python3 needs python3-venv for ensurepip
    if can_apt; then
      say "python3 -m venv failed: installing Debian's python3-venv..."
      apt_install python3-venv >&2
      "$python" -m venv "$venv" >&2 || die "python3 -m venv still fails after installing python3-venv."
    else
      die "$python -m venv failed. On Debian/Ubuntu: sudo apt-get install python3-venv (or use conda: conda env create -f environment.yml)."
    fi
  fi
fi
# This project's package.json says "type": "module"; without this file Node would also read the
# CommonJS scripts inside the venv (JupyterLab's bundled yarn.js) as ES modules, and fail.
echo '{ "type": "commonjs" }' > "$venv/package.json"

say "installing ${requirements[*]} into $venv (pip, with this machine's pip configuration)..."
# --retries/--timeout: a configured but unreachable index must not stall the install for minutes.
log="$venv/pip-install.log"
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --retries 1 --timeout 15 "${requirements[@]}" >"$log" 2>&1; then
  tail -n 15 "$log" >&2
  die "pip could not install ${requirements[*]} (full log: $log). Check 'pip config list' and your network or proxy; or use conda: conda env create -f environment.yml."
fi
"$venv/bin/jupyter-lab" --version >/dev/null 2>&1 || die "$venv/bin/jupyter-lab does not run after the install."
echo "$wanted" > "$stamp"
say "JupyterLab $("$venv/bin/jupyter-lab" --version), Notebook $("$venv/bin/python" -c 'import notebook; print(notebook.__version__)'), plotly $("$venv/bin/python" -c 'import plotly; print(plotly.__version__)') ready in $venv"
echo "$PWD/$venv/bin"
