"""The README's Python examples run as they stand."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_block(containing: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    (block,) = [b for b in blocks if containing in b]
    return block


def test_the_plan_example_is_complete_and_prints_what_it_says(tmp_path: Path) -> None:
    """Run in a fresh interpreter outside the repository, so it can use only what it imports."""
    code = _python_block("applied_record")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    summary, *reasons = run.stdout.splitlines()
    promised = re.search(r"print\(p\.summary\(\)\)\s+# (.+)", code)
    assert promised is not None and summary == promised.group(1)
    assert reasons and reasons[0].startswith("containers[web].image: nginx:1.26 → nginx:1.27 — updatable: ")
