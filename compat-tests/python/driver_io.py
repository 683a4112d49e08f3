"""What the newest-client drivers (newest_ck.py, newest_kp.py) share: bytes as base64 in JSON, and
one JSON object per stdout line (compat-tests/newest-clients.ts reads them)."""
import base64
import json
import sys


def b64(v):
    return None if v is None else base64.b64encode(v).decode()


def unb64(v):
    return None if v is None else base64.b64decode(v)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
