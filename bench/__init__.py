"""Benchmarks (`make bench`). Each measures a reference in the same run and reports the ratio."""
import os
import secrets


def production_settings() -> None:
    """Run the benchmark as production runs: DEBUG off (no per-query debug log) with a strong SECRET_KEY.

    Call before `django.setup()`. A key already in the environment is kept; child processes a benchmark starts
    inherit the environment, so media tokens minted here verify there.
    """
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DEBUG", "false")
