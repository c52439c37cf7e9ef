#!/usr/bin/env bash
# `npm run notebooks [-- --smoke] [NAME ...]`: set up (npm, library build, Jupyter, kernel),
# then execute every notebook headlessly into build/notebooks/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec "$(cat .jupyter/python)" scripts/run_notebooks.py "$@"
