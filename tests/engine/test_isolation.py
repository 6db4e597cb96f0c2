from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_engine_import_does_not_load_django():
    code = "import sys, apps.engine, apps.engine.serialize; print('django' in sys.modules, 'pint' in sys.modules)"

    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)

    # pint is imported on first use, so a bare import stays cheap for the web process.
    assert completed.stdout.split() == ["False", "False"]


def test_engine_compute_does_not_load_django():
    code = (
        "import sys\n"
        "from tests.engine.test_methodology_example import example_inputs\n"
        "from apps.engine import compute_footprint\n"
        "compute_footprint(example_inputs())\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )

    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)

    assert completed.stdout.strip() == "[]"
