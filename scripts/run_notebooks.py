"""Executes every notebook headlessly with the project's tslab kernel.

Writes executed copies and HTML exports to build/notebooks/ (NAME.ipynb, NAME.html), prints a
per-notebook summary with times, and exits non-zero if any cell fails, naming the notebook
and the cell. Called by `npm run notebooks` after scripts/setup.sh; run it directly as
    python3 scripts/run_notebooks.py [--smoke] [--timeout SECONDS] [NAME ...]
where NAME filters notebooks by substring (e.g. `01`).

A stopped runner stops its kernels: on SIGTERM, SIGINT or SIGHUP, and (Linux) when its parent
process dies, it kills each running kernel's process group before it exits; a kernel also gets
SIGKILL if the runner itself is killed outright. Jupyter starts every kernel in a session of its
own, so nothing else would reach a kernel stuck in a `while (true) {}` cell.
"""
import argparse
import ctypes
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "build" / "notebooks"


# --- kernels die with the runner -------------------------------------------------------------

PR_SET_PDEATHSIG = 1  # linux/prctl.h
try:
    LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
except OSError:
    LIBC = None

# Process groups of the kernels running now (Jupyter starts each kernel as a session leader).
RUNNING_KERNELS: dict = {}


def die_with_parent(signum: int) -> None:
    """Linux: ask the kernel to send `signum` to this process when its parent exits."""
    if LIBC is not None:
        LIBC.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)


def kernel_preexec() -> None:
    """Runs in each kernel process before it starts: it gets SIGKILL if the runner dies without cleaning up."""
    die_with_parent(signal.SIGKILL)


def stop_kernels() -> None:
    """Kills every running kernel's process group and removes its connection file."""
    for group, connection_file in list(RUNNING_KERNELS.items()):
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            os.unlink(connection_file)
        except OSError:
            pass
        RUNNING_KERNELS.pop(group, None)


def on_stop_signal(signum, _frame) -> None:
    stop_kernels()
    print(f"\nstopped by {signal.Signals(signum).name}; the notebook kernels were stopped", file=sys.stderr, flush=True)
    os._exit(128 + signum)


def stop_kernels_when_stopped() -> None:
    """SIGTERM, SIGINT, SIGHUP and (Linux) the parent's death stop the kernels, then the runner."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_stop_signal)
    parent = os.getppid()
    die_with_parent(signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request took effect
        on_stop_signal(signal.SIGTERM, None)


def positive_seconds(text: str) -> float:
    """--timeout: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def display_path(path: Path) -> str:
    """A path relative to the project when it is inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


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


def run_one(path: Path, timeout: float) -> dict:
    """Executes one notebook. Never raises for a notebook's own problems (invalid JSON, a failing
    cell, a kernel that dies): those become the result's `failure`, so the next notebook still runs."""
    started = time.time()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # invalid JSON, or not a notebook at all
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return {"name": path.stem, "seconds": 0.0, "cells": 0, "output": None,
                "failure": {"cell": None, "code_cell": None, "first_line": "",
                            "detail": f"{path.name} is not a valid notebook ({type(err).__name__}): {first}"}}
    client = NotebookClient(
        nb,
        timeout=math.ceil(timeout),  # nbclient takes whole seconds
        kernel_name="tslab",
        resources={"metadata": {"path": str(path.parent)}},
    )
    failure = None
    code_cells = 0
    try:
        with client.setup_kernel(preexec_fn=kernel_preexec):
            provisioner = client.km.provisioner
            group = getattr(provisioner, "pgid", None) or getattr(provisioner, "pid", None)
            if group:
                RUNNING_KERNELS[group] = client.km.connection_file
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                code_cells += 1
                source_line = next((l for l in cell.source.splitlines() if l.strip()), "")
                try:
                    client.execute_cell(cell, index)
                    # tslab sends no execute_input message, so nbclient leaves the count empty.
                    if cell.get("execution_count") is None:
                        cell.execution_count = code_cells
                except (CellExecutionError, CellTimeoutError) as err:
                    detail = cell_error_text(cell) or str(err).strip().splitlines()[-1]
                    if isinstance(err, CellTimeoutError):
                        detail = f"timed out after {timeout:g} s\n{detail}"
                    failure = {"cell": index, "code_cell": code_cells, "first_line": source_line, "detail": detail}
                    break
                except DeadKernelError:
                    failure = {"cell": index, "code_cell": code_cells, "first_line": source_line,
                               "detail": "the kernel died while running this cell (did it call process.exit, or crash Node?)"}
                    break
    except Exception as err:  # the kernel failed to start or to shut down
        stop_kernels()
        if failure is None:
            failure = {"cell": None, "code_cell": None, "first_line": "",
                       "detail": f"the kernel failed: {type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"}
    RUNNING_KERNELS.clear()
    seconds = time.time() - started
    output = write_outputs(nb, path.stem, failed=failure is not None)
    return {"name": path.stem, "seconds": seconds, "failure": failure, "cells": code_cells, "output": output}


def plotly_loader() -> str:
    """plotly.js as script tags that work beside require.js (nbconvert's template loads it):
    `define` is hidden while the library runs. The same as lib/src/notebook/display.ts's loader."""
    for candidate in ("plotly.js-dist-min/plotly.min.js", "plotly.js-dist/plotly.js"):
        path = ROOT / "node_modules" / candidate
        if path.exists():
            source = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
            return ("<script type=\"text/javascript\">window.PlotlyConfig = {MathJaxConfig: 'local'};"
                    "window.__classifiersDefine = window.define; window.define = undefined;</script>\n"
                    f"<script type=\"text/javascript\">{source}</script>\n"
                    "<script type=\"text/javascript\">if (window.__classifiersDefine !== undefined) { window.define = window.__classifiersDefine; }"
                    " delete window.__classifiersDefine;</script>\n")
    raise FileNotFoundError("plotly.js is not installed (node_modules/plotly.js-dist-min); run npm ci")


def export_html(nb) -> str:
    """The notebook as one HTML page. Figures in saved notebooks carry their data only, so
    plotly.js goes into the page once, here, when the notebook has a figure and lacks it."""
    html, _ = HTMLExporter().from_notebook_node(nb)
    if "plotly-graph-div" in html and "window.__classifiersDefine" not in html:
        html = html.replace("</head>", plotly_loader() + "</head>", 1)
    return html


def write_outputs(nb, stem: str, failed: bool) -> Path:
    """Writes the executed notebook and its HTML export. A good run replaces NAME.ipynb/.html
    (through temporary files, so an interrupted write never leaves half a file); a failed run
    goes to NAME.failed.ipynb/.html and the last good copy stays."""
    OUT.mkdir(parents=True, exist_ok=True)
    target = stem + (".failed" if failed else "")
    html = export_html(nb)
    for suffix, write in ((".ipynb", lambda p: nbformat.write(nb, p)), (".html", lambda p: p.write_text(html, encoding="utf-8"))):
        final = OUT / (target + suffix)
        temporary = final.with_name(final.name + ".tmp")
        write(temporary)
        os.replace(temporary, final)
    if not failed:
        for suffix in (".ipynb", ".html"):
            (OUT / (stem + ".failed" + suffix)).unlink(missing_ok=True)
    return OUT / (target + ".ipynb")


def main() -> int:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only notebooks whose file name contains one of these")
    parser.add_argument("--smoke", action="store_true", help="small subsets (sets CLASSIFIERS_SMOKE=1)")
    parser.add_argument("--timeout", type=positive_seconds, default=1800, help="seconds allowed per cell (default 1800)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="folder of notebooks to run (default notebooks/)")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for executed copies and HTML (default build/notebooks/)")
    args = parser.parse_args()
    if not args.notebooks.is_dir():
        parser.error(f"argument --notebooks: {args.notebooks} is not a folder")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"argument --out: {args.out} is a file; give a folder for the executed notebooks")
    stop_kernels_when_stopped()
    OUT = args.out.resolve()
    if args.smoke:
        os.environ["CLASSIFIERS_SMOKE"] = "1"
    # Headless runs print progress as plain lines (the live notebook display is for people).
    os.environ.setdefault("CLASSIFIERS_LIVE", "0")
    jupyter_path = str(ROOT / ".jupyter" / "share" / "jupyter")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in [jupyter_path, os.environ.get("JUPYTER_PATH", "")] if p)

    rebuild_library_if_stale()
    folder = args.notebooks.resolve()
    paths = sorted(p for p in folder.glob("*.ipynb") if not args.names or any(n in p.name for n in args.names))
    if not paths:
        print(f"no notebooks matched {args.names} in {folder}", file=sys.stderr)
        return 1
    mode = "smoke (small subsets)" if os.environ.get("CLASSIFIERS_SMOKE") not in (None, "", "0") else "full"
    print(f"executing {len(paths)} notebook(s), {mode} mode, outputs in {display_path(OUT)}/", flush=True)
    results = []
    for path in paths:
        print(f"--- {path.name} ...", flush=True)
        result = run_one(path, args.timeout)
        results.append(result)
        status = "ok" if not result["failure"] else "FAILED"
        print(f"    {status} in {result['seconds']:.1f} s", flush=True)
        if result["failure"]:
            f = result["failure"]
            where = f"cell {f['cell']} (code cell #{f['code_cell']}): {f['first_line']}" if f["cell"] is not None else "before any cell ran"
            print(f"    error in {path.name}, {where}", file=sys.stderr)
            for line in f["detail"].splitlines():
                print(f"      {line}", file=sys.stderr)
            if result["output"] is not None:
                print(f"    the failed run is in {display_path(result['output'])}; the last good copy, if any, is kept", file=sys.stderr)

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
