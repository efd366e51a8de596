"""Gate for the real-speech tests: the local voice extra and Debian's recordings must be there.

On CI (CI=true) their absence fails the test loudly, since `.ci/run` installs both; elsewhere it skips, naming
`make local-voice`."""
from __future__ import annotations

import os
import shutil

import pytest

from voice.providers import local_models


def require_local_voice() -> None:
    from voice.sim import corpus

    missing = sorted({m for p in local_models.MODULES for m in local_models.missing_modules(p)})
    problems = []
    if missing:
        problems.append(f"the local voice extra (`make local-voice`; missing {', '.join(missing)})")
    if not shutil.which("espeak-ng"):
        problems.append("the espeak-ng program (apt install espeak-ng)")
    if not corpus.debian_installed():
        problems.append(f"Debian's recordings ({corpus.APT_HINT})")
    if problems:
        message = "real-speech tests need " + " and ".join(problems)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
