"""Read partitions from the beginning to their end with confluent-kafka in assign mode (no group)."""
import argparse
import sys

from confluent_kafka import Consumer, KafkaError, TopicPartition, OFFSET_BEGINNING

from common import b64, emit

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("topic")
ap.add_argument("partitions", type=int)
ap.add_argument("--timeout", type=float, default=30)
ap.add_argument("--isolation", choices=["read_committed", "read_uncommitted"], default="read_uncommitted",
                help="isolation.level; read_committed stops at the last stable offset and skips aborted records")
args = ap.parse_args()

c = Consumer({
    "bootstrap.servers": args.bootstrap,
    "group.id": "compat-assign-only",
    "enable.auto.commit": False,
    "enable.partition.eof": True,
    "isolation.level": args.isolation,
})
c.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in range(args.partitions)])
at_end = set()
import time
deadline = time.time() + args.timeout
while len(at_end) < args.partitions:
    if time.time() > deadline:
        sys.stderr.write("timed out; partitions at end: %s\n" % sorted(at_end))
        sys.exit(1)
    msg = c.poll(1.0)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() == KafkaError._PARTITION_EOF:
            at_end.add(msg.partition())
            continue
        sys.stderr.write("consume error: %s\n" % msg.error())
        sys.exit(1)
    at_end.discard(msg.partition())
    ts_type, ts = msg.timestamp()
    emit({"partition": msg.partition(), "offset": msg.offset(), "key": b64(msg.key()), "value": b64(msg.value()),
          "headers": [[k, b64(v)] for k, v in (msg.headers() or [])], "timestamp": ts})
c.close()
