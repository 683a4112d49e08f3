"""Shared helpers for the compat-test client scripts: one JSON object per record, bytes in base64."""
import base64
import json
import sys


def b64(v):
    return None if v is None else base64.b64encode(v).decode()


def unb64(v):
    return None if v is None else base64.b64decode(v)


def read_input_records():
    """Records to produce, from stdin: {"partition", "key", "value", "headers": [[k, v]], "timestamp"}."""
    for line in sys.stdin:
        line = line.strip()
        if line:
            yield json.loads(line)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
