"""Decodes compressed record sections with the decoders kafka-python reads batches with, for
compat-tests/encoders.test.ts: kafka.codec's gzip_decode, snappy_decode (python-snappy, xerial
framing), lz4_decode (python-lz4's frame decoder) and zstd_decode (python-zstandard, on the
system libzstd). Reads one JSON object per line, {"codec": "gzip"|"snappy"|"lz4"|"zstd", "data":
base64}, and prints {"plain": base64} or {"error": message} for each.
"""
import base64
import json
import sys

from kafka import codec

DECODERS = {
    "gzip": codec.gzip_decode,
    "snappy": codec.snappy_decode,
    "lz4": codec.lz4_decode,
    "zstd": codec.zstd_decode,
}

for line in sys.stdin:
    if not line.strip():
        continue
    job = json.loads(line)
    try:
        plain = DECODERS[job["codec"]](base64.b64decode(job["data"]))
        out = {"plain": base64.b64encode(plain).decode()}
    except Exception as e:  # reported to the test, which fails on it
        out = {"error": "%s: %s" % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(out) + "\n")
