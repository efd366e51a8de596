"""Local emulators of each vendor's wire protocol, so the real SDKs are exercised end to end on 127.0.0.1."""
