#!/usr/bin/env bash
# Makes this checkout ready to run: npm packages, the library build, Jupyter and the tslab
# kernel. Idempotent, and quick when everything is already in place, so `npm test` and
# `npm run notebooks` call it every time.
#   --npm-only   only npm packages (what the tests and the benchmark need)
# Environment: CLASSIFIERS_NO_APT=1 never uses apt-get (prints what to install instead);
# CLASSIFIERS_NATIVE=0 does not build the native backend (see scripts/native-backend.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh
root=$PWD
npm_only=0
[ "${1:-}" = "--npm-only" ] && npm_only=1

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- Node ---------------------------------------------------------------------------------
command -v node >/dev/null || die "Node.js 20 or newer is required (https://nodejs.org or: conda env create -f environment.yml)."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old; 20 or newer is required."

# --- npm packages: reinstall whenever package-lock.json changed since the last install ------
stamp=node_modules/.classifiers-setup-stamp
lock_sum=$(cat package.json package-lock.json lib/package.json shims/danfo-tfjs/package.json | cksum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  say "installing npm packages (npm ci)..."
  # @tensorflow/tfjs-node is optional: where its libtensorflow download fails, npm drops it
  # and the library falls back to WebAssembly. See docs/backends.md.
  npm ci --no-audit --no-fund
  echo "$lock_sum" > "$stamp"
fi

# --- the native TensorFlow backend: tfjs-node's own install, else built once from TensorFlow's
# wheel and cached; prints the route taken or why WebAssembly is used; never fails the setup ----
bash scripts/native-backend.sh || say "native backend: scripts/native-backend.sh failed unexpectedly; using WebAssembly"
[ "$npm_only" = 1 ] && exit 0

# --- the library, built for notebooks (tslab imports lib/dist as the package 'classifiers') --
npx --no-install tsc -p lib/tsconfig.json

# --- Jupyter --------------------------------------------------------------------------------
# We need a Python that has nbclient + nbconvert (the headless runner) and jupyter_client
# (to install the kernelspec). Prefer the one behind `jupyter` on PATH (a conda env), then python3.
find_python() {
  local candidates=() j
  if j=$(command -v jupyter 2>/dev/null); then
    local shebang; shebang=$(head -n1 "$j" | sed -n 's/^#! *//p' | awk '{print $1}')
    [ -n "$shebang" ] && candidates+=("$shebang")
  fi
  candidates+=(python3 /usr/bin/python3 python)
  for p in "${candidates[@]}"; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import nbclient, nbconvert, nbformat, jupyter_client' >/dev/null 2>&1; then
      command -v "$p"; return 0
    fi
  done
  return 1
}
if ! python=$(find_python); then
  if can_apt; then
    say "Jupyter not found: installing Debian's jupyter-nbconvert, python3-nbclient, jupyter-notebook..."
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q jupyter-nbconvert python3-nbclient jupyter-notebook
    python=$(find_python) || die "apt-get installed Jupyter, but no python3 can import nbclient/nbconvert."
  else
    die "Jupyter (nbclient + nbconvert) was not found. Install it one of these ways, then run this again:
    conda env create -f environment.yml && conda activate mnist-classifiers     (any OS; recommended)
    sudo apt-get install jupyter-nbconvert python3-nbclient jupyter-notebook    (Debian/Ubuntu)"
  fi
fi

# --- the tslab kernel, installed for this project only (.jupyter/, found through JUPYTER_PATH) --
mkdir -p .jupyter
echo "$python" > .jupyter/python
kernel_json=.jupyter/share/jupyter/kernels/tslab/kernel.json
if ! grep -qF "\"$root/node_modules/.bin/tslab\"" "$kernel_json" 2>/dev/null; then
  say "installing the tslab kernelspec into $root/.jupyter"
  node_modules/.bin/tslab install --python "$python" --binary "$root/node_modules/.bin/tslab" --prefix "$root/.jupyter" >/dev/null
  grep -qF "$root/node_modules/.bin/tslab" "$kernel_json" || die "tslab kernelspec was not written to $kernel_json"
fi

# --- bubblewrap: the sandbox the assignment grader runs student code in (docs/instructors.md) ----
if ! command -v bwrap >/dev/null; then
  if can_apt; then
    say "installing Debian's bubblewrap (the grader's sandbox)..."
    apt_install bubblewrap || say "bubblewrap could not be installed; the grader will fall back to Node's permission model"
  else
    say "bubblewrap (bwrap) is not installed: the assignment grader falls back to Node's permission model (apt-get install bubblewrap)"
  fi
fi
