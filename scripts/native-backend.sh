#!/usr/bin/env bash
# Makes TensorFlow.js's native backend (@tensorflow/tfjs-node) work in node_modules whenever it can,
# and otherwise says why the project runs on WebAssembly. Called by scripts/setup.sh after npm ci;
# never fails the setup (every failure ends in the WebAssembly fallback line).
#
# Routes, tried in order (the one taken is printed on one line):
#   1. tfjs-node's own install: npm ci ran the package's install script, which downloads
#      libtensorflow and a prebuilt binding; if the package loads, nothing else to do.
#   2. the cache: a binding this script built earlier for the same tfjs-node version, Node ABI and
#      TensorFlow version, under $CLASSIFIERS_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/classifiers).
#      npm ci wipes node_modules, so the cache is what makes the build below run only once.
#   3. the build: TensorFlow's C library from the `tensorflow-cpu` wheel that pip fetches from its
#      configured index (libtensorflow_cc.so.2 exports the C and eager C APIs tfjs-node calls; the
#      wheel also carries their headers), then tfjs-node's own binding sources compiled with node-gyp.
#      Only the two libraries and the headers the binding includes are kept; the wheel is deleted.
#      The binding's source is patched first (scripts/patch-binding.py): it shields products from
#      signals, which TensorFlow's oneDNN needs under profilers and notebook interrupts, runs small
#      ops on the calling thread, where waking TensorFlow's thread pool costs more than the op, and
#      passes list-of-strings attributes (for the one-kernel affine layer, `_FusedMatMul`).
# Environment:
#   CLASSIFIERS_NATIVE=0      skip routes 2 and 3 (tfjs-node's own install still runs inside npm ci;
#                             CLASSIFIERS_BACKEND=wasm decides the backend at run time)
#   CLASSIFIERS_NATIVE=retry  build now even if a build failed within the last day
#   CLASSIFIERS_CACHE_DIR     where built bindings and libraries are kept
#   CLASSIFIERS_TF_VERSION    the tensorflow-cpu version to build against (default: TESTED_TF_VERSION below)
#   CLASSIFIERS_NO_APT=1      never apt-get python3-pip when pip is missing
set -uo pipefail
# The tensorflow-cpu release the binding patch and the tests were checked against. It is pinned so that
# a new TensorFlow release changes nothing here until this line changes; it is part of the cache key.
TESTED_TF_VERSION=2.21.0
tf_version_wanted=${CLASSIFIERS_TF_VERSION:-$TESTED_TF_VERSION}
cd "$(dirname "$0")/.."
source scripts/apt.sh
root=$PWD
pkg=$root/node_modules/@tensorflow/tfjs-node
marker=$pkg/.classifiers-native-route

say() { printf '[setup] %s\n' "$*"; }
fallback() { say "native backend: not available ($*); using WebAssembly"; exit 0; }

# Loads tfjs-node the way the library does; prints TensorFlow's version, or the error's first line.
probe() {
  TF_CPP_MIN_LOG_LEVEL=2 node -e '
    try {
      const tf = require("@tensorflow/tfjs-node");
      console.log(tf.backend().binding.TF_Version);
    } catch (e) { console.log("ERROR " + String(e && e.message || e).split("\n")[0]); process.exit(1); }' 2>/dev/null
}

# Node's headers: from the install prefix (Debian's nodejs, nvm, conda) or npm's nodedir setting;
# node-gyp would otherwise try to download them.
node_headers() {
  local dir
  dir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  [ -f "$dir/include/node/node_api.h" ] || dir=$(npm config get nodedir 2>/dev/null)
  [ -f "$dir/include/node/node_api.h" ] && echo "$dir"
}

# libtensorflow prints two start-up lines from its static initialisers, before any code of the
# binding runs, whatever TF_CPP_MIN_LOG_LEVEL says. This small addon lets the library capture
# stderr while it loads TensorFlow and drop just those lines (runtime/native/startup-log.ts).
# Best effort: without a C compiler the lines simply print. Then every successful route ends here.
capture_addon=$pkg/stderr_capture.node
finish() {
  local dir
  if [ ! -f "$capture_addon" ] || [ scripts/stderr-capture.c -nt "$capture_addon" ]; then
    if command -v cc >/dev/null && dir=$(node_headers); then
      cc -O2 -shared -fPIC -I"$dir/include/node" -o "$capture_addon.tmp" scripts/stderr-capture.c 2>/dev/null &&
        mv "$capture_addon.tmp" "$capture_addon" || rm -f "$capture_addon.tmp"
    fi
  fi
  exit 0
}

# Undoes this script's earlier work in node_modules (the binding, its libraries' link, the note).
unlink_build() { rm -rf "$pkg/deps" "$pkg"/lib/napi-v*/tfjs_binding.node "$marker" "$capture_addon"; }
if [ "${CLASSIFIERS_NATIVE:-1}" = 0 ] && [ -f "$marker" ]; then
  unlink_build   # so that the run-time choice falls to WebAssembly too
fi
# The route note of this script's current build; a binding from an older version of the script is
# replaced (through the cache or a build) instead of kept.
route_note="binding built against the tensorflow-cpu $tf_version_wanted wheel, shields products from signals, runs small ops on the calling thread (pooling on its threads), fuses bias and ReLU into products"
if [ -d "$pkg" ] && [ -f "$marker" ] && [ "$(cat "$marker")" != "$route_note" ]; then
  say "native backend: replacing a binding from an older setup ($(cat "$marker"))"
  unlink_build
fi
if [ -d "$pkg" ] && out=$(probe); then
  if [ -f "$marker" ]; then say "native backend: TensorFlow $out, tfjs-node's $(cat "$marker") (from $(readlink "$pkg/deps"))";
  else say "native backend: TensorFlow $out from tfjs-node's own install"; fi
  finish
fi
if [ "${CLASSIFIERS_NATIVE:-1}" = 0 ]; then
  fallback "CLASSIFIERS_NATIVE=0 turns the build route off, and tfjs-node's own install did not work"
fi

# --- what to build for --------------------------------------------------------------------
tfjs_node_version=$(node -p 'require("./package-lock.json").packages["node_modules/@tensorflow/tfjs-node"]?.version ?? ""' 2>/dev/null)
[ -n "$tfjs_node_version" ] || fallback "package-lock.json does not list @tensorflow/tfjs-node"
node_abi=$(node -p process.versions.modules)
cache_root=${CLASSIFIERS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/classifiers}
mkdir -p "$cache_root" 2>/dev/null || fallback "cannot create the cache directory $cache_root"

# The package (and its dependencies) without its install script: npm drops a failed optional
# package together with everything only it needed. --no-save leaves package-lock.json alone.
if [ ! -f "$pkg/binding.gyp" ]; then
  npm install --no-save --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null 2>&1 \
    || fallback "npm could not install @tensorflow/tfjs-node without its install script"
  [ -f "$pkg/binding.gyp" ] || fallback "@tensorflow/tfjs-node is not in node_modules after npm install"
fi
# node-pre-gyp (which tfjs-node uses to find its binding) picks the highest N-API version in the
# package's list that this Node supports.
napi=$(node -p '
  const want = require("./node_modules/@tensorflow/tfjs-node/package.json").binary.napi_versions;
  Math.max(...want.filter((v) => v <= Number(process.versions.napi)))')
module_dir=$pkg/lib/napi-v$napi

# Installs a cache entry into node_modules: the binding is copied, deps/ (1 GB of libraries) linked.
install_from() {
  local entry=$1
  rm -rf "$pkg/deps" && ln -s "$entry" "$pkg/deps" &&
    mkdir -p "$module_dir" && cp "$entry/tfjs_binding.node" "$module_dir/tfjs_binding.node"
}

# --- route 2: the cache ---------------------------------------------------------------------
# "sigshield-smallops2-fused": the binding is patched by scripts/patch-binding.py (older cache
# entries are not, or differently; "smallops2": pooling keeps TensorFlow's threads).
prefix="tfjs-node-$tfjs_node_version-node-abi$node_abi-napi$napi-sigshield-smallops2-fused-tf"
find_cached() {
  ls -d "$cache_root/$prefix$tf_version_wanted" 2>/dev/null
}
use_cached() {
  local entry=$1 how=$2
  [ -f "$entry/tfjs_binding.node" ] || return 1
  install_from "$entry" || return 1
  local tf_version
  tf_version=$(probe) || return 1
  echo "$route_note" > "$marker"
  say "native backend: TensorFlow $tf_version, tfjs-node's $(cat "$marker"), $how ($entry)"
}
entry=$(find_cached)
if [ -n "$entry" ] && use_cached "$entry" "from the cache"; then finish; fi

# --- route 3: build, once, under a lock (several checkouts can share the cache) -----------------
exec 9>"$cache_root/.lock"
flock 9
entry=$(find_cached)   # another checkout may have built it while we waited
if [ -n "$entry" ] && use_cached "$entry" "from the cache"; then finish; fi

# A failed build is remembered for a day, so an offline machine does not wait for pip at every
# `npm test`; deleting the note (or CLASSIFIERS_NATIVE=retry) tries again at once.
failed_note=$cache_root/failed-${prefix%-tf}
if [ -f "$failed_note" ] && [ "${CLASSIFIERS_NATIVE:-1}" != retry ] && [ -z "$(find "$failed_note" -mmin +1440 2>/dev/null)" ]; then
  fallback "the build failed $(date -r "$failed_note" -u '+%Y-%m-%d %H:%M UTC'): $(cat "$failed_note"); CLASSIFIERS_NATIVE=retry tries again now"
fi
# From here on a failure is the build's own: note it, then fall back.
build_failed() { printf '%s\n' "$*" > "$failed_note" 2>/dev/null; fallback "$*"; }
rm -f "$failed_note"

python=""
for p in python3 /usr/bin/python3 python; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -m pip --version >/dev/null 2>&1; then python=$p; break; fi
done
if [ -z "$python" ] && can_apt; then
  say "native backend: installing Debian's python3-pip to fetch TensorFlow's C library..."
  apt_install python3-pip >/dev/null 2>&1 && python=/usr/bin/python3
fi
[ -n "$python" ] || build_failed "no python3 with pip to fetch the tensorflow-cpu wheel"
for tool in make g++; do command -v $tool >/dev/null || build_failed "$tool is missing (needed to build tfjs-node's binding)"; done
node_gyp=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
[ -f "$node_gyp" ] || build_failed "npm's bundled node-gyp was not found"
node_dir=$(node_headers) || build_failed "Node's C headers (include/node/node_api.h) were not found"

work=$(mktemp -d "$cache_root/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
say "native backend: building tfjs-node's binding against the tensorflow-cpu wheel (once; about a minute)..."
spec="tensorflow-cpu==$tf_version_wanted"
pip_download() {
  "$python" -m pip download --no-deps --only-binary=:all: --retries 1 --timeout 15 \
    --disable-pip-version-check -q -d "$work/wheel" "$@" "$spec" > "$work/pip.log" 2>&1
}
fetched=0
pip_download && fetched=1
# Only the C library is used, so a wheel built for another Python works as well: when the index
# has none for this interpreter, ask for the Python versions TensorFlow 2.x ships wheels for.
if [ $fetched = 0 ] && grep -q -e 'No matching distribution' -e 'Could not find a version' "$work/pip.log"; then
  first_error=$(grep -m1 '^ERROR' "$work/pip.log")
  for version in 3.12 3.11 3.10 3.13 3.9; do
    pip_download --python-version "$version" --platform "manylinux_2_27_$(uname -m)" \
      --platform "manylinux_2_17_$(uname -m)" --platform "manylinux2014_$(uname -m)" && { fetched=1; break; }
  done
  [ $fetched = 1 ] || echo "$first_error" > "$work/pip.log"
fi
[ $fetched = 1 ] ||
  build_failed "pip could not fetch $spec from its configured index: $(grep -m1 '^ERROR' "$work/pip.log" || tail -n 1 "$work/pip.log")"
wheel=$(ls "$work"/wheel/tensorflow_cpu-*.whl 2>/dev/null | head -n 1)
[ -n "$wheel" ] || build_failed "pip did not leave a tensorflow_cpu wheel"
tf_version=$(basename "$wheel" | cut -d- -f2)
staged=$work/deps
# The two libraries, and the headers the binding's sources include with everything they include.
if ! "$python" - "$wheel" "$staged" "$pkg/binding" > "$work/extract.log" 2>&1 <<'PY'
import os, re, sys, zipfile
wheel, out, binding = sys.argv[1:4]
INCLUDE = re.compile(r'#\s*include\s+"([^"]+)"')
z = zipfile.ZipFile(wheel)
names = set(z.namelist())
libs = ["tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"]
missing = [n for n in libs if n not in names]
if missing:
    sys.exit("the wheel has no " + ", ".join(missing))
os.makedirs(f"{out}/lib")
for n in libs:
    with z.open(n) as src, open(f"{out}/lib/{os.path.basename(n)}", "wb") as dst:
        while chunk := src.read(1 << 22):
            dst.write(chunk)
os.symlink("libtensorflow_cc.so.2", f"{out}/lib/libtensorflow.so.2")   # the name tfjs-node links
os.symlink("libtensorflow.so.2", f"{out}/lib/libtensorflow.so")
os.symlink("libtensorflow_framework.so.2", f"{out}/lib/libtensorflow_framework.so")
root = "tensorflow/include/"
todo = []
for f in os.listdir(binding):
    if f.endswith((".cc", ".h")):
        todo += [root + h for h in INCLUDE.findall(open(os.path.join(binding, f)).read())]
seen = set()
while todo:
    n = todo.pop()
    if n in seen or n not in names:
        continue
    seen.add(n)
    text = z.read(n).decode("utf-8", "replace")
    todo += [root + h for h in INCLUDE.findall(text)]
if root + "tensorflow/c/c_api.h" not in seen:
    sys.exit("the wheel has no tensorflow/c/c_api.h")
for n in seen:
    dst = f"{out}/include/{n[len(root):]}"
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, "wb") as f:
        f.write(z.read(n))
PY
then build_failed "could not extract TensorFlow's C library from $(basename "$wheel"): $(tail -n 1 "$work/extract.log")"
fi
rm -rf "$work/wheel"   # about 270 MB, no longer needed

rm -rf "$pkg/deps" "$pkg/build" && ln -s "$staged" "$pkg/deps"
if ! "$python" scripts/patch-binding.py "$pkg/binding/tfjs_backend.cc" > "$work/patch-binding.log" 2>&1; then
  rm -rf "$pkg/deps"
  build_failed "could not patch tfjs-node's binding: $(tail -n 1 "$work/patch-binding.log")"
fi
if ! (cd "$pkg" && node "$node_gyp" rebuild --nodedir="$node_dir" --module_name=tfjs_binding \
      --module_path="$module_dir" --napi_build_version="$napi") > "$work/node-gyp.log" 2>&1; then
  rm -rf "$pkg/deps"
  build_failed "node-gyp could not build tfjs-node's binding: $(grep -m1 -E 'error' "$work/node-gyp.log" || tail -n 1 "$work/node-gyp.log")"
fi
rm -rf "$pkg/build"
cp "$module_dir/tfjs_binding.node" "$staged/tfjs_binding.node"
entry=$cache_root/$prefix$tf_version
rm -rf "$entry" && mv "$staged" "$entry"
use_cached "$entry" "built now and cached" && finish
rm -rf "$entry" "$pkg/deps"
build_failed "the binding built against TensorFlow $tf_version does not load: $(probe | sed 's/^ERROR //')"
