"""A confluent-kafka (librdkafka) group consumer that runs until SIGTERM, for the group tests.

Prints one JSON object per line (run with python3 -u):
  {"ev": "assign", "partitions": [...]}   on_assign (eager: the whole new assignment; cooperative: the partitions added)
  {"ev": "revoke", "partitions": [...]}   on_revoke (eager: everything; cooperative: the partitions taken away)
  {"ev": "lost", "partitions": [...]}     on_lost
  {"ev": "m", "partition", "offset", "value"}  each message, the value as UTF-8
  {"ev": "commit", "offsets": [[partition, offset]]}  after each synchronous commit (--commit sync)
  {"ev": "error", "error"}                a consumer error (the script goes on)
  {"ev": "stopped", "committed": [[partition, offset]]}  after SIGTERM: committed offsets, then close()
"""
import argparse
import json
import signal
import sys

from confluent_kafka import Consumer, KafkaError

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("group")
ap.add_argument("topic")
ap.add_argument("--strategy", default="range", help="partition.assignment.strategy")
ap.add_argument("--instance-id", default=None, help="group.instance.id (static membership)")
ap.add_argument("--session-timeout", type=int, default=10000)
ap.add_argument("--commit", choices=["auto", "sync"], default="auto",
                help="auto: enable.auto.commit (every 200 ms and on close); sync: commit each message synchronously")
ap.add_argument("--client-id", default="ck-group")
args = ap.parse_args()


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


conf = {
    "bootstrap.servers": args.bootstrap,
    "client.id": args.client_id,
    "group.id": args.group,
    "partition.assignment.strategy": args.strategy,
    "session.timeout.ms": args.session_timeout,
    "heartbeat.interval.ms": 500,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": args.commit == "auto",
    "auto.commit.interval.ms": 200,
    "isolation.level": "read_uncommitted",
}
if args.instance_id:
    conf["group.instance.id"] = args.instance_id


def parts(ps):
    return sorted(p.partition for p in ps)


def on_assign(c, ps):
    out({"ev": "assign", "partitions": parts(ps)})


def on_revoke(c, ps):
    out({"ev": "revoke", "partitions": parts(ps)})


def on_lost(c, ps):
    out({"ev": "lost", "partitions": parts(ps)})


running = True


def on_term(signum, frame):
    global running
    running = False


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)

c = Consumer(conf)
c.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
out({"ev": "running"})
while running:
    msg = c.poll(0.2)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() != KafkaError._PARTITION_EOF:
            out({"ev": "error", "error": str(msg.error())})
        continue
    v = msg.value()
    out({"ev": "m", "partition": msg.partition(), "offset": msg.offset(), "value": None if v is None else v.decode("utf-8")})
    if args.commit == "sync":
        res = c.commit(message=msg, asynchronous=False)
        out({"ev": "commit", "offsets": [[tp.partition, tp.offset] for tp in res]})

committed = []
try:
    if args.commit == "auto":
        try:
            c.commit(asynchronous=False)
        except Exception as e:  # nothing to commit is reported as an error
            if "_NO_OFFSET" not in str(e):
                out({"ev": "error", "error": "final commit: %s" % e})
    assignment = c.assignment()
    if assignment:
        committed = [[tp.partition, tp.offset] for tp in c.committed(assignment, timeout=10)]
except Exception as e:
    out({"ev": "error", "error": "committed(): %s" % e})
c.close()
out({"ev": "stopped", "committed": sorted(committed)})
