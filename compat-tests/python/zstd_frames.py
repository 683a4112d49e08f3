"""Zstandard frames from libzstd through python-zstandard, for compat-tests/zstd-encoders.test.ts.

Prints one JSON object per case: {"name", "plain", "frame"} (bytes in base64). The inputs are
deterministic; the encoder settings cover what producers write: every level class (negative,
fast, default, strong, --ultra), with and without the content size and the checksum, streaming
with a block flush after each record (many small blocks, as a streaming producer that flushes),
long-distance matching with a large window, and several frames one after another.
"""
import base64
import json
import random
import sys

import zstandard as zstd


def emit(name, plain, frame):
    sys.stdout.write(json.dumps({"name": name, "plain": base64.b64encode(plain).decode(),
                                 "frame": base64.b64encode(frame).decode()}) + "\n")


def records(n, seed):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        key = b"key-%d" % rnd.randrange(50)
        value = b"value-%d-" % i + bytes(rnd.choice(b"abcdefghij") for _ in range(rnd.randrange(80)))
        out.append(key + b"=" + value + b"\n")
    return out


rnd = random.Random(1)
inputs = {
    "empty": b"",
    "one byte": b"x",
    "records 20 KB": b"".join(records(300, 2)),
    "records 400 KB": b"".join(records(6000, 3)),
    "random 50 KB": bytes(rnd.randrange(256) for _ in range(50000)),
    "zeros 300 KB": bytes(300000),
    "mixed 200 KB": b"".join(records(1000, 4)) + bytes(rnd.randrange(256) for _ in range(30000)) + bytes(70000),
}

for name, plain in inputs.items():
    for level in (-5, 1, 3, 9, 19, 22):
        for size, check in ((True, False), (False, True)):
            c = zstd.ZstdCompressor(level=level, write_content_size=size, write_checksum=check)
            if size:
                frame = c.compress(plain)
            else:  # streaming: the size is not known when the header is written
                obj = c.compressobj()
                frame = obj.compress(plain) + obj.flush()
            emit("%s, level %d, content size %s, checksum %s" % (name, level, size, check), plain, frame)

parts = records(400, 5)
for level in (1, 19):
    obj = zstd.ZstdCompressor(level=level).compressobj()
    frame = b""
    for part in parts:
        frame += obj.compress(part) + obj.flush(zstd.COMPRESSOBJ_FLUSH_BLOCK)
    frame += obj.flush()
    emit("a block per record, level %d" % level, b"".join(parts), frame)

plain = b"".join(records(3000, 6)) * 3
params = zstd.ZstdCompressionParameters.from_level(19, window_log=24, enable_ldm=True)
emit("long-distance matching, window 2^24", plain, zstd.ZstdCompressor(compression_params=params).compress(plain))

plain1, plain2 = inputs["records 20 KB"], inputs["mixed 200 KB"]
frames = zstd.ZstdCompressor(level=3).compress(plain1) + zstd.ZstdCompressor(level=12, write_content_size=False).compress(plain2)
emit("two frames", plain1 + plain2, frames)
