"""A kafka-python group consumer that runs until SIGTERM, for the group tests.

Commits synchronously after every poll that returned records. Prints one JSON object per line
(run with python3 -u):
  {"ev": "assign", "partitions": [...]} / {"ev": "revoke", "partitions": [...]}   rebalance listener
  {"ev": "m", "partition", "offset", "value"}                                     each message, value as UTF-8
  {"ev": "commit", "offsets": [[partition, offset]]}                              after each commit
  {"ev": "stopped"}                                                               after SIGTERM and close() (leaves the group)
"""
import argparse
import json
import signal
import sys

from kafka import ConsumerRebalanceListener, KafkaConsumer

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("group")
ap.add_argument("topic")
ap.add_argument("--session-timeout", type=int, default=10000)
ap.add_argument("--client-id", default="kp-group")
args = ap.parse_args()


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Listener(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        out({"ev": "revoke", "partitions": sorted(tp.partition for tp in revoked)})

    def on_partitions_assigned(self, assigned):
        out({"ev": "assign", "partitions": sorted(tp.partition for tp in assigned)})


running = True


def on_term(signum, frame):
    global running
    running = False


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)

c = KafkaConsumer(bootstrap_servers=args.bootstrap, client_id=args.client_id, group_id=args.group,
                  auto_offset_reset="earliest", enable_auto_commit=False,
                  session_timeout_ms=args.session_timeout, heartbeat_interval_ms=500)
c.subscribe([args.topic], listener=Listener())
out({"ev": "running"})
while running:
    batch = c.poll(timeout_ms=200)
    if not batch:
        continue
    for tp, msgs in batch.items():
        for m in msgs:
            out({"ev": "m", "partition": m.partition, "offset": m.offset,
                 "value": None if m.value is None else m.value.decode("utf-8")})
    c.commit()
    out({"ev": "commit", "offsets": sorted([tp.partition, c.committed(tp)] for tp in batch)})
c.close()
out({"ev": "stopped"})
