"""Consume-transform-produce with confluent-kafka (librdkafka), exactly once: a group consumer
(isolation.level read_committed, enable.auto.commit false) reads the input topic; a transactional
producer writes each record, transformed, to the same partition of the output topic and commits
the consumer's positions with send_offsets_to_transaction.

--plan lists one action per batch, with an optional size (default --batch-size input records),
e.g. "commit:20,abort:5". Each batch
is flushed (delivered) before its transaction ends, so aborted records really reach the log.
After an aborted batch the consumer does NOT rewind, so this run goes on after it; the group's
committed offsets (which only committed transactions may move) decide where the next run starts.

Transform: value v -> "T(" + v + ")", key kept, headers [("src", "<partition>:<offset>")].
Prints one JSON object per line (run with python3 -u):
  {"ev": "assigned", "partitions": [...]}
  {"ev": "batch", "n", "action", "records": [[partition, offset, value]], "positions": [[partition, offset]]}
      after the batch's transaction was committed or aborted; positions are what was sent with it
  {"ev": "done"}
Errors end the script with a non-zero exit code and a message on stderr.
"""
import argparse
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("input")
ap.add_argument("output")
ap.add_argument("group")
ap.add_argument("transactional_id")
ap.add_argument("--plan", default="commit", help="comma-separated commit|abort[:size], one per batch")
ap.add_argument("--batch-size", type=int, default=10)
ap.add_argument("--timeout", type=float, default=60, help="overall time limit, seconds")
args = ap.parse_args()

plan = []
for entry in (e.strip() for e in args.plan.split(",") if e.strip()):
    action, _, size = entry.partition(":")
    if action not in ("commit", "abort"):
        sys.exit("bad plan entry %r" % entry)
    plan.append((action, int(size) if size else args.batch_size))
deadline = time.time() + args.timeout


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def remaining():
    left = deadline - time.time()
    if left <= 0:
        sys.stderr.write("ck_txn_ctp: timed out\n")
        sys.exit(2)
    return left


consumer = Consumer({
    "bootstrap.servers": args.bootstrap,
    "client.id": "ck-ctp-consumer",
    "group.id": args.group,
    "isolation.level": "read_committed",
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 500,
})
producer = Producer({
    "bootstrap.servers": args.bootstrap,
    "client.id": "ck-ctp-producer",
    "transactional.id": args.transactional_id,
    "linger.ms": 5,
})

assigned = []


def on_assign(c, ps):
    assigned[:] = ps
    out({"ev": "assigned", "partitions": sorted(tp.partition for tp in ps)})


consumer.subscribe([args.input], on_assign=on_assign)
producer.init_transactions(remaining())

for n, (action, size) in enumerate(plan):
    batch = []
    producer.begin_transaction()
    while len(batch) < size:
        msg = consumer.poll(min(0.5, remaining()))
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                continue
            sys.exit("consume error: %s" % msg.error())
        v = msg.value()
        producer.produce(args.output, value=b"T(" + (v or b"") + b")", key=msg.key(), partition=msg.partition(),
                         headers=[("src", ("%d:%d" % (msg.partition(), msg.offset())).encode())])
        producer.poll(0)
        batch.append([msg.partition(), msg.offset(), None if v is None else v.decode()])
    # Deliver the batch before ending the transaction: abort_transaction() would otherwise purge
    # records still queued in the client, and an aborted batch must really reach the log.
    if producer.flush(remaining()) != 0:
        sys.exit("batch %d not delivered" % n)
    positions = consumer.position(consumer.assignment())
    producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), remaining())
    if action == "commit":
        producer.commit_transaction(remaining())
    else:
        producer.abort_transaction(remaining())
    out({"ev": "batch", "n": n, "action": action, "records": batch,
         "positions": sorted([tp.partition, tp.offset] for tp in positions)})

consumer.close()
producer.flush(remaining())
out({"ev": "done"})
