"""`make gen-check`: the committed generated/ is exactly what the pinned generator makes of the spec."""

from __future__ import annotations

import subprocess
import sys

from ._spec import ROOT


def test_generated_package_is_up_to_date_and_deterministic() -> None:
    # About 2.5 s: one generator run into a temporary folder, compared byte for byte with generated/.
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "is up to date" in proc.stdout


def test_generated_package_is_the_private_import_name() -> None:
    import _tinkex_lowlevel

    assert _tinkex_lowlevel.__file__ is not None
    assert (ROOT / "generated" / "_tinkex_lowlevel" / "py.typed").exists()
