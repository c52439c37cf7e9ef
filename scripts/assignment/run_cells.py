"""Runs a notebook's code cells headless with the tslab kernel and writes each cell's text output as
one JSON line on file descriptor 3. The grader runs it inside the sandbox (scripts/assignment/notebook.ts)
and judges the values the cells report; nothing here decides a grade.

    python3 run_cells.py NOTEBOOK TIMEOUT_SECONDS
"""
import json
import os
import sys

import nbformat
from nbclient import NotebookClient


def main() -> None:
    path, timeout = sys.argv[1], int(sys.argv[2])
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="tslab", allow_errors=True, startup_timeout=min(120, timeout),
        resources={"metadata": {"path": os.path.dirname(path)}},
    )
    result = {"cells": [], "error": None}
    try:
        client.execute()
    except Exception as e:  # a timeout, a dead kernel: the cells run so far still count
        text = str(e).strip().splitlines()
        result["error"] = f"{type(e).__name__}: {text[0] if text else ''}"[:500]
    for cell in nb.cells:
        parts = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                parts.append(out.get("text", ""))
            elif kind == "error":
                parts.append(f"{out.get('ename')}: {out.get('evalue')}\n")
            elif kind in ("display_data", "execute_result"):
                parts.append(out.get("data", {}).get("text/plain", "") + "\n")
        result["cells"].append({"id": cell.get("id"), "text": "".join(parts)[-200000:]})
    data = (json.dumps(result) + "\n").encode()
    while data:
        data = data[os.write(3, data):]


if __name__ == "__main__":
    main()
