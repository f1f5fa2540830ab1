"""Planning code and models must stay importable by deterministic workflow code."""

from __future__ import annotations

import subprocess
import sys


def test_planning_imports_neither_temporal_nor_boto3() -> None:
    code = (
        "import sys, workflows.aws, models.aws, models.naming\n"
        "roots = {'temporalio', 'boto3', 'botocore'}\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in roots)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
