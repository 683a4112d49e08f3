"""Read partitions from the beginning to their current end with kafka-python in assign mode."""
import argparse
import sys
import time

from kafka import KafkaConsumer, TopicPartition

from common import b64, emit

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("topic")
ap.add_argument("partitions", type=int)
ap.add_argument("--timeout", type=float, default=30)
args = ap.parse_args()

c = KafkaConsumer(bootstrap_servers=args.bootstrap, group_id=None, enable_auto_commit=False,
                  auto_offset_reset="earliest")
tps = [TopicPartition(args.topic, p) for p in range(args.partitions)]
c.assign(tps)
c.seek_to_beginning(*tps)
end = c.end_offsets(tps)
pos = {tp: c.position(tp) for tp in tps}
deadline = time.time() + args.timeout
while any(pos[tp] < end[tp] for tp in tps):
    if time.time() > deadline:
        sys.stderr.write("timed out at %s, end %s\n" % (pos, end))
        sys.exit(1)
    batch = c.poll(timeout_ms=1000)
    for tp, msgs in batch.items():
        for m in msgs:
            emit({"partition": m.partition, "offset": m.offset, "key": b64(m.key), "value": b64(m.value),
                  "headers": [[k, b64(v)] for k, v in (m.headers or [])], "timestamp": m.timestamp})
    for tp in tps:
        pos[tp] = c.position(tp)
c.close()
