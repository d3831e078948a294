"""The capture client imports on its own: no Django, no HTTP library, no SDK."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_client_pulls_in_no_framework_or_http_library():
    script = (
        "import sys, ingest.client\n"
        "heavy = {'django', 'requests', 'httpx', 'twitter_ads', 'celery', 'psycopg'}\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == "[]"
