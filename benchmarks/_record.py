"""The JSON result file every benchmark script writes with ``--json PATH``.

A result file is the script's own result (a dict, usually with a ``rows`` list) plus four keys
that say where the figures come from:

``benchmark``
    The script's name (``bench_core``); its committed file is ``benchmarks/results/<name>.json``.
``command``
    The command line that produced the file.
``date``
    When the run ended, UTC, ISO 8601 (seconds).
``machine``
    CPU count and model, Python, numpy and scipy versions, the BLAS and LAPACK they use, and the
    1-minute load average at the start and the end of the run (the machine may be shared).

``benchmarks/render.py`` turns these files into the tables of README.md and docs/*.md.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy

#: 1-minute load average when this module was imported (the start of the run).
LOAD_AT_START = os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def _library(config: dict, kind: str) -> str:
    """``name version`` of the BLAS or LAPACK a numpy/scipy build reports."""
    library = config.get("Build Dependencies", {}).get(kind, {})
    return f"{library.get('name')} {library.get('version')}"


def machine() -> dict[str, object]:
    """Facts about this run's machine and libraries, recorded with the timings.

    ``scipy_lapack`` is the library behind ``scipy.linalg.lu_factor``; ``numpy_blas`` runs
    ``numpy.linalg.inv`` and matrix products. Versions of pymrio and boario (the peers) are
    included when they are installed.
    """
    cpu = None
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), None)
    facts: dict[str, object] = {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "numpy_blas": _library(np.show_config(mode="dicts"), "blas"),
        "scipy_lapack": _library(scipy.show_config(mode="dicts"), "lapack"),
    }
    for peer in ("pymrio", "boario"):
        try:
            module = __import__(peer)
        except ImportError:
            continue
        facts[peer] = getattr(module, "__version__", "?")
    facts["load_average_start"] = None if LOAD_AT_START is None else round(LOAD_AT_START, 2)
    facts["load_average_end"] = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    return facts


def command_line(script: str, argv: Sequence[str] | None) -> str:
    """The command that ran ``script`` (``python benchmarks/<script>.py ARGS``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    return " ".join(["python", f"benchmarks/{script}.py", *args])


def record(script: str, result: dict, argv: Sequence[str] | None = None) -> dict:
    """``result`` with the ``benchmark``, ``command``, ``date`` and ``machine`` keys added.

    ``script`` names the result file; a script that writes several files (one per run) gives its
    own name as ``result["script"]``, which the command then runs.
    """
    date = datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    command = command_line(result.get("script", script), argv)
    return {"benchmark": script, "command": command, "date": date, "machine": machine(), **result}


def write_result(path: str | Path, script: str, result: dict, argv: Sequence[str] | None = None) -> dict:
    """Write ``record(script, result, argv)`` to ``path`` as indented JSON (UTF-8); return the record."""
    payload = record(script, result, argv)
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)
    return payload
