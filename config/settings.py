"""Parley settings: every knob comes from the environment (see .env.example)."""
import datetime as dt
import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# A machine that sets neither SECRET_KEY nor ALLOWED_HOSTS is a laptop: DEBUG defaults on there and off everywhere
# else. With DEBUG off, a public or short SECRET_KEY stops every process (config/checks.py).
DEBUG = env.bool("DEBUG", default=not ({"SECRET_KEY", "ALLOWED_HOSTS"} & set(os.environ)))
SECRET_KEY = env("SECRET_KEY", default="") or "insecure-dev-key-change-me-in-production"  # empty counts as unset
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Accept an http or local PUBLIC_BASE_URL with TELEPHONY=twilio|signalwire: only for an emulator on this machine.
PUBLIC_BASE_URL_ALLOW_LOCAL = env.bool("PUBLIC_BASE_URL_ALLOW_LOCAL", default=False)

# HTTPS behind a proxy (see README "Production settings"); every switch is off by default for plain-http laptops.
SECURE_PROXY_SSL_HEADER = tuple(env.list("SECURE_PROXY_SSL_HEADER", default=[])) or None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "phonenumber_field",
    "axes",
    "crm",
    "campaigns",
    "dialer",
    "voice",
    "inbound",
    "ninja",
    "api",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "api.guards.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.profiles.TimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into the lockout page
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.roles.roles_context",
            ],
            "builtins": ["crm.templatetags.parley"],
        },
    },
]

ASGI_APPLICATION = "config.asgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: WAL lets the voice process write turns while a worker reads.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # Tests get a file as well, not Django's in-memory default: its shared cache refuses a table another
    # connection holds at once ("database table is locked") instead of waiting `timeout`, so the server threads,
    # voice pool and webhooks of a test would meet a SQLite that `make serve` never shows.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# Login throttling (django-axes): LOGIN_FAILURE_LIMIT failures for one username lock it for LOGIN_COOLOFF_MINUTES,
# whatever IP they come from (rotating IPs must not reset the count); a success resets the count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
# axes.W006 asks for ip_address among the lockout parameters; Parley locks the account by design (see above).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media-files/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
WHITENOISE_USE_FINDERS = True

PHONENUMBER_DEFAULT_REGION = env("PHONENUMBER_DEFAULT_REGION", default="US")
PHONENUMBER_DB_FORMAT = "E164"

# Celery: with REDIS_URL the dialer runs on real workers; without it, tasks run eagerly in-process.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"  # a host named, or kombu warns on every eager task
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ROUTES = {
    "dialer.tasks.*": {"queue": "dialer"},
    "campaigns.tasks.*": {"queue": "imports"},
}
DIALER_TICK_SECONDS = env.float("DIALER_TICK_SECONDS", default=2.0)
DIALER_SWEEP_SECONDS = env.float("DIALER_SWEEP_SECONDS", default=30.0)
# Dialer knobs (see .env.example): claim batch, zone cache, and when the sweeper deems a call stale.
DIALER_CLAIM_BATCH = env.int("DIALER_CLAIM_BATCH", default=500)
DIALER_ZONE_CACHE_SECONDS = env.float("DIALER_ZONE_CACHE_SECONDS", default=30.0)
DIALER_SWEEP_BATCH = env.int("DIALER_SWEEP_BATCH", default=500)
DIALER_STALE_QUEUED_SECONDS = env.float("DIALER_STALE_QUEUED_SECONDS", default=120.0)
DIALER_STALE_DIALING_SECONDS = env.float("DIALER_STALE_DIALING_SECONDS", default=60.0)
DIALER_STALE_CALL_SECONDS = env.float("DIALER_STALE_CALL_SECONDS", default=120.0)
DIALER_STALE_MEDIA_SECONDS = env.float("DIALER_STALE_MEDIA_SECONDS", default=120.0)
# The same beat inside the web process when there is no broker (dialer/inprocess.py): "auto", "on" or "off".
DIALER_INPROCESS = env("DIALER_INPROCESS", default="auto")
# Reminder and follow-up campaigns: how often meetings are enrolled (dialer/enrollment_reminders.py).
MEETING_ENROLL_SECONDS = env.float("MEETING_ENROLL_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    "dialer-tick": {"task": "dialer.tasks.tick", "schedule": DIALER_TICK_SECONDS},
    "dialer-sweep": {"task": "dialer.tasks.sweep", "schedule": DIALER_SWEEP_SECONDS},
    "imports-requeue": {"task": "campaigns.tasks.requeue_stalled_imports", "schedule": 60.0},
    "imports-delete-old-uploads": {"task": "campaigns.tasks.delete_old_uploads", "schedule": 3600.0},
    "meetings-enroll": {"task": "dialer.tasks.enroll_meetings", "schedule": MEETING_ENROLL_SECONDS},
    "webhooks-send-due": {"task": "webhooks.tasks.send_due", "schedule": env.float("WEBHOOK_SWEEP_SECONDS", 10.0)},
}
# Outbound webhooks (webhooks/deliveries.py): one attempt's deadline, attempts before giving up, backoff.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_BACKOFF_SECONDS = env.float("WEBHOOK_BACKOFF_SECONDS", default=30.0)
WEBHOOK_BACKOFF_MAX_SECONDS = env.float("WEBHOOK_BACKOFF_MAX_SECONDS", default=3600.0)
# REST API (api/): requests per token per minute, largest page, how long an Idempotency-Key is remembered.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)
API_IDEMPOTENCY_HOURS = env.float("API_IDEMPOTENCY_HOURS", default=24.0)
NINJA_PAGINATION_MAX_LIMIT = API_MAX_PAGE_SIZE
NINJA_PAGINATION_PER_PAGE = 50
# Lead imports: upload limit (checked while receiving), re-queue after a broker outage, upload retention.
IMPORT_MAX_UPLOAD_MB = env.float("IMPORT_MAX_UPLOAD_MB", default=50.0)
IMPORT_REQUEUE_AFTER_SECONDS = env.float("IMPORT_REQUEUE_AFTER_SECONDS", default=300.0)
IMPORT_UPLOAD_RETENTION_DAYS = env.float("IMPORT_UPLOAD_RETENTION_DAYS", default=30.0)

# Telephony and vendors. "sim" telephony and "rehearsal" providers run everything offline.
TELEPHONY = env("TELEPHONY", default="sim")
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_API_BASE_URL = env("TWILIO_API_BASE_URL", default="")
TWILIO_HTTP_TIMEOUT_SECONDS = env.float("TWILIO_HTTP_TIMEOUT_SECONDS", default=10.0)  # connect and read, per request
TWILIO_CPS_LIMIT = env.float("TWILIO_CPS_LIMIT", default=1.0)
# TELEPHONY=signalwire: the Project ID and API token (REST auth), the space (example.signalwire.com, or an emulator's
# http://127.0.0.1:PORT), and the Signing Key that signs its webhooks (API Credentials page of the space).
SIGNALWIRE_PROJECT_ID = env("SIGNALWIRE_PROJECT_ID", default="")
SIGNALWIRE_API_TOKEN = env("SIGNALWIRE_API_TOKEN", default="")
SIGNALWIRE_SPACE_URL = env("SIGNALWIRE_SPACE_URL", default="")
SIGNALWIRE_SIGNING_KEY = env("SIGNALWIRE_SIGNING_KEY", default="")
MEDIA_TOKEN_TTL_SECONDS = env.int("MEDIA_TOKEN_TTL_SECONDS", default=600)
# Browser test calls over WebRTC (voice/webrtc.py): comma-separated stun: URLs; none = host candidates only
# (browser and server on one network). aiortc's own default (Google's STUN server) is never used.
WEBRTC_ICE_SERVERS = env("WEBRTC_ICE_SERVERS", default="")
# Simulated telephony: how callbacks reach the webhooks ("http" to PUBLIC_BASE_URL, or "direct" in-process),
# ring time, a persona forced on every call ("answer_and_hold" answers and hangs up without media), hold time.
SIM_TELEPHONY_CALLBACKS = env("SIM_TELEPHONY_CALLBACKS", default="http")
SIM_TELEPHONY_RING_SECONDS = env.float("SIM_TELEPHONY_RING_SECONDS", default=1.0)
SIM_TELEPHONY_PERSONA = env("SIM_TELEPHONY_PERSONA", default="")
SIM_TELEPHONY_HOLD_SECONDS = env.float("SIM_TELEPHONY_HOLD_SECONDS", default=2.0)

VOICE_STT = env("VOICE_STT", default="rehearsal")
VOICE_LLM = env("VOICE_LLM", default="rehearsal")
VOICE_TTS = env("VOICE_TTS", default="rehearsal")
# Voice activity detection for turn-taking: "webrtc" (default) or "silero" (local extra, `make local-voice`).
VOICE_VAD = env("VOICE_VAD", default="webrtc")
# Local speech models (VOICE_STT=whisper, VOICE_TTS=piper; docs/self-hosted.md). Empty folders: the packaged models.
WHISPER_MODEL_DIR = env("WHISPER_MODEL_DIR", default="")  # a CTranslate2 Whisper folder (model.bin, tokenizer…)
WHISPER_THREADS = env.int("WHISPER_THREADS", default=2)  # CPU threads per transcription pass
WHISPER_WORKERS = env.int("WHISPER_WORKERS", default=1)  # passes at once, per process
WHISPER_END_SILENCE_MS = env.int("WHISPER_END_SILENCE_MS", default=300)  # silence that ends an utterance
# A speculative pass on the utterance starts after this much silence; at the end silence, with no speech since, its
# transcript is the final (end of turn ≈ this + one pass, not the end silence + one pass). 0 (or ≥ the end): off.
# 160 = the tail a final keeps (the same audio); earlier marks void more passes on pauses inside a sentence.
WHISPER_SPECULATE_MS = env.int("WHISPER_SPECULATE_MS", default=160)
# Interim results by re-transcribing the growing utterance every this many ms (0: off, the default: on a busy CPU a
# pass still running when the caller stops delays the final; turn on where cores are free, tiny.en only).
WHISPER_INTERIM_MS = env.int("WHISPER_INTERIM_MS", default=0)
WHISPER_DEADLINE_S = env.float("WHISPER_DEADLINE_S", default=10.0)  # one pass longer than this fails the call
WHISPER_QUEUE_DEADLINE_S = env.float("WHISPER_QUEUE_DEADLINE_S", default=30.0)  # ... so does waiting for a worker
PIPER_VOICE_MODEL = env("PIPER_VOICE_MODEL", default="")  # a Piper .onnx voice (its .onnx.json beside it)
PIPER_THREADS = env.int("PIPER_THREADS", default=1)  # onnxruntime threads per synthesis
PIPER_WORKERS = env.int("PIPER_WORKERS", default=2)  # syntheses at once, per process
PIPER_DEADLINE_S = env.float("PIPER_DEADLINE_S", default=10.0)
# Each VOICE_* above may list providers in order ("openai,anthropic"): the first healthy one serves a call, and a
# fault mid-call moves the call to the next (voice/providers/failover.py). A provider that failed is skipped by new
# calls for this many seconds (shared through Redis when REDIS_URL is set, else this process only).
VOICE_PROVIDER_COOLDOWN_S = env.float("VOICE_PROVIDER_COOLDOWN_S", default=60.0)
# A tool call that takes longer (seconds) answers the model with an error (voice/tools.py::run_tool).
TOOL_TIMEOUT_SECONDS = env.float("TOOL_TIMEOUT_SECONDS", default=5.0)
# Turn-taking (voice/turns.py::TurnSettings): barge-in threshold, false-interruption resume, silence handling.
VOICE_BARGE_IN_MS = env.int("VOICE_BARGE_IN_MS", default=200)
VOICE_FALSE_INTERRUPTION_S = env.float("VOICE_FALSE_INTERRUPTION_S", default=2.0)
VOICE_END_OF_TURN_SILENCE_MS = env.int("VOICE_END_OF_TURN_SILENCE_MS", default=100)
VOICE_REPROMPT_S = env.float("VOICE_REPROMPT_S", default=7.0)
VOICE_SILENCE_HANGUP_S = env.float("VOICE_SILENCE_HANGUP_S", default=16.0)
# Voice process infrastructure (voice/db.py, voice/tools.py, voice/drain.py): DB pool size, how long a DB blip is
# retried, a tool call's deadline, and how long SIGTERM lets live calls finish before ending them.
VOICE_DB_THREADS = env.int("VOICE_DB_THREADS", default=8)
VOICE_DB_DEADLINE_S = env.float("VOICE_DB_DEADLINE_S", default=10.0)
VOICE_DRAIN_SECONDS = env.float("VOICE_DRAIN_SECONDS", default=20.0)
# Vendor latencies the rehearsal providers emulate, in ms (voice/sim/latency.py).
REHEARSAL_STT_FINAL_MS = env.int("REHEARSAL_STT_FINAL_MS", default=150)
REHEARSAL_LLM_FIRST_TOKEN_MS = env.int("REHEARSAL_LLM_FIRST_TOKEN_MS", default=300)
REHEARSAL_TTS_FIRST_BYTE_MS = env.int("REHEARSAL_TTS_FIRST_BYTE_MS", default=90)
# Rehearsal agent voice: "auto" (espeak-ng when installed, else speech-shaped audio), "espeak" or "synth".
REHEARSAL_TTS_ENGINE = env("REHEARSAL_TTS_ENGINE", default="auto")
# Simulated callee's voice: "synth" (speech-shaped audio), "piper" (the local Piper voice, `make local-voice`) or
# "auto" (default): Piper when VOICE_STT=whisper (which hears audio, not captions), else synth.
REHEARSAL_CALLEE_VOICE = env("REHEARSAL_CALLEE_VOICE", default="auto")
ANTHROPIC_API_KEY = env("ANTHROPIC_API_KEY", default="")
ANTHROPIC_BASE_URL = env("ANTHROPIC_BASE_URL", default="")
ANTHROPIC_MODEL = env("ANTHROPIC_MODEL", default="claude-haiku-4-5")
ANTHROPIC_MAX_TOKENS = env.int("ANTHROPIC_MAX_TOKENS", default=400)
DEEPGRAM_API_KEY = env("DEEPGRAM_API_KEY", default="")
DEEPGRAM_BASE_URL = env("DEEPGRAM_BASE_URL", default="")
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="")
OPENAI_MODEL = env("OPENAI_MODEL", default="gpt-4o-mini")
CARTESIA_API_KEY = env("CARTESIA_API_KEY", default="")
CARTESIA_BASE_URL = env("CARTESIA_BASE_URL", default="")
CARTESIA_MODEL = env("CARTESIA_MODEL", default="sonic-2")
# Second vendors per layer (issue 18): ElevenLabs and OpenAI TTS, AssemblyAI STT. Base URLs point at emulators.
ELEVENLABS_API_KEY = env("ELEVENLABS_API_KEY", default="")
ELEVENLABS_BASE_URL = env("ELEVENLABS_BASE_URL", default="")
ELEVENLABS_MODEL = env("ELEVENLABS_MODEL", default="eleven_flash_v2_5")
OPENAI_TTS_MODEL = env("OPENAI_TTS_MODEL", default="gpt-4o-mini-tts")  # VOICE_TTS=openai; key and URL as the LLM's
OPENAI_TTS_VOICE = env("OPENAI_TTS_VOICE", default="alloy")
ASSEMBLYAI_API_KEY = env("ASSEMBLYAI_API_KEY", default="")
ASSEMBLYAI_BASE_URL = env("ASSEMBLYAI_BASE_URL", default="")
ASSEMBLYAI_SPEECH_MODEL = env("ASSEMBLYAI_SPEECH_MODEL", default="universal-streaming-english")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # django-axes logs every login at INFO; lockouts are WARNING and still show.
    "loggers": {"axes": {"level": env("AXES_LOG_LEVEL", default="WARNING")}},
}
