#!/usr/bin/env bash
# `npm run test:browser [-- NAME ...]`: the notebooks in JupyterLab 4, Notebook 7 and as HTML exports,
# in Debian's Chromium (tests/browser/front-ends.ts). Installs what it needs: npm packages, the
# kernel, the project's .venv (JupyterLab 4, Notebook 7, plotly) and, as root, Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[test:browser] %s\n' "$*" >&2; }
source scripts/apt.sh
bash scripts/setup.sh
chromium=${CLASSIFIERS_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  if can_apt; then
    say "installing Debian's chromium..."
    apt_install chromium >/dev/null
  else
    say "ERROR: $chromium not found. Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CLASSIFIERS_CHROMIUM."
    exit 1
  fi
fi
export CLASSIFIERS_VENV_BIN="$(bash scripts/venv.sh)"
exec node --import tsx tests/browser/front-ends.ts "$@"
