"""Print the offsets of each partition of a topic as seen by confluent-kafka (librdkafka), one JSON
object per partition:
  {"partition", "low", "high", "lso", "committed"}
high is the high watermark (ListOffsets latest, READ_UNCOMMITTED), lso the last stable offset
(ListOffsets latest, READ_COMMITTED); committed is the group's committed offset from OffsetFetch
(--group; -1001 when the group has none), or null without --group. No group is joined.
"""
import argparse

from confluent_kafka import Consumer, TopicPartition

from common import emit

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("topic")
ap.add_argument("partitions", type=int)
ap.add_argument("--group", default=None, help="report this group's committed offsets")
ap.add_argument("--timeout", type=float, default=10)
args = ap.parse_args()


def consumer(isolation, group):
    return Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "isolation.level": isolation,
    })


uncommitted = consumer("read_uncommitted", args.group or "compat-offsets-only")
committed_reader = consumer("read_committed", args.group or "compat-offsets-only")
tps = [TopicPartition(args.topic, p) for p in range(args.partitions)]
committed = None
if args.group:
    committed = {tp.partition: tp.offset for tp in committed_reader.committed(tps, timeout=args.timeout)}
for tp in tps:
    low, high = uncommitted.get_watermark_offsets(tp, timeout=args.timeout, cached=False)
    _, lso = committed_reader.get_watermark_offsets(tp, timeout=args.timeout, cached=False)
    emit({"partition": tp.partition, "low": low, "high": high, "lso": lso,
          "committed": None if committed is None else committed[tp.partition]})
uncommitted.close()
committed_reader.close()
