"""Executes every notebook headlessly with the project's tslab kernel.

Writes executed copies and HTML exports to build/notebooks/ (NAME.ipynb, NAME.html), prints a
per-notebook summary with times, and exits non-zero if any cell fails, naming the notebook
and the cell. Called by `npm run notebooks` after scripts/setup.sh; run it directly as
    python3 scripts/run_notebooks.py [--smoke] [--timeout SECONDS] [NAME ...]
where NAME filters notebooks by substring (e.g. `01`).
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "build" / "notebooks"


def rebuild_library_if_stale() -> None:
    """Notebooks import lib/dist; rebuild it when any lib/src file is newer (tsc is incremental)."""
    sources = list((ROOT / "lib" / "src").rglob("*.ts"))
    built = ROOT / "lib" / "dist" / "index.js"
    if built.exists() and max(p.stat().st_mtime for p in sources) <= built.stat().st_mtime:
        return
    print("lib/src changed since the last build: rebuilding lib/dist", flush=True)
    subprocess.run(["npx", "--no-install", "tsc", "-p", "lib/tsconfig.json"], cwd=ROOT, check=True)
    built.touch()


def cell_error_text(cell) -> str:
    """tslab reports a failing cell on stderr, not as an `error` output: collect both."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
        elif out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(out.get("text", ""))
    text = "".join(parts).strip()
    # Keep the message and the first frames; drop tslab/zmq internals.
    lines = [l for l in text.splitlines() if "node_modules/tslab" not in l and "node:vm" not in l]
    return "\n".join(lines[:15])


def run_one(path: Path, timeout: int) -> dict:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="tslab",
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.time()
    failure = None
    code_cells = 0
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            code_cells += 1
            try:
                client.execute_cell(cell, index)
                # tslab sends no execute_input message, so nbclient leaves the count empty.
                if cell.get("execution_count") is None:
                    cell.execution_count = code_cells
            except (CellExecutionError, CellTimeoutError) as err:
                source_line = next((l for l in cell.source.splitlines() if l.strip()), "")
                detail = cell_error_text(cell) or str(err).strip().splitlines()[-1]
                if isinstance(err, CellTimeoutError):
                    detail = f"timed out after {timeout} s\n{detail}"
                failure = {"cell": index, "code_cell": code_cells, "first_line": source_line, "detail": detail}
                break
    seconds = time.time() - started
    OUT.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, OUT / path.name)
    html, _ = HTMLExporter().from_notebook_node(nb)
    (OUT / (path.stem + ".html")).write_text(html, encoding="utf-8")
    return {"name": path.stem, "seconds": seconds, "failure": failure, "cells": code_cells}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only notebooks whose file name contains one of these")
    parser.add_argument("--smoke", action="store_true", help="small subsets (sets CLASSIFIERS_SMOKE=1)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell (default 1800)")
    args = parser.parse_args()
    if args.smoke:
        os.environ["CLASSIFIERS_SMOKE"] = "1"
    jupyter_path = str(ROOT / ".jupyter" / "share" / "jupyter")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in [jupyter_path, os.environ.get("JUPYTER_PATH", "")] if p)

    rebuild_library_if_stale()
    paths = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not args.names or any(n in p.name for n in args.names))
    if not paths:
        print(f"no notebooks matched {args.names} in {NOTEBOOKS}", file=sys.stderr)
        return 1
    mode = "smoke (small subsets)" if os.environ.get("CLASSIFIERS_SMOKE") not in (None, "", "0") else "full"
    print(f"executing {len(paths)} notebook(s), {mode} mode, outputs in {OUT.relative_to(ROOT)}/", flush=True)
    results = []
    for path in paths:
        print(f"--- {path.name} ...", flush=True)
        result = run_one(path, args.timeout)
        results.append(result)
        status = "ok" if not result["failure"] else "FAILED"
        print(f"    {status} in {result['seconds']:.1f} s", flush=True)
        if result["failure"]:
            f = result["failure"]
            print(f"    error in {path.name}, cell {f['cell']} (code cell #{f['code_cell']}): {f['first_line']}", file=sys.stderr)
            for line in f["detail"].splitlines():
                print(f"      {line}", file=sys.stderr)

    print("\nnotebook                          status     seconds")
    for r in results:
        print(f"{r['name']:<33} {'ok' if not r['failure'] else 'FAILED':<10} {r['seconds']:>7.1f}")
    failed = [r for r in results if r["failure"]]
    total = sum(r["seconds"] for r in results)
    print(f"total {total:.1f} s")
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
