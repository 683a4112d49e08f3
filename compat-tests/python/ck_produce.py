"""Produce records from stdin with confluent-kafka (librdkafka); print each delivery as JSON."""
import argparse
import sys

from confluent_kafka import Producer

from common import emit, read_input_records, unb64

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("topic")
ap.add_argument("--acks", default="all")
ap.add_argument("--compression", default="none")
ap.add_argument("--idempotent", action="store_true")
args = ap.parse_args()

p = Producer({
    "bootstrap.servers": args.bootstrap,
    "acks": args.acks,
    "compression.type": args.compression,
    "linger.ms": 5,
    "message.timeout.ms": 30000,
    "enable.idempotence": args.idempotent,
})
errors = []


def on_delivery(err, msg):
    if err is not None:
        errors.append(str(err))
    else:
        emit({"partition": msg.partition(), "offset": msg.offset()})


for r in read_input_records():
    headers = [(k, unb64(v)) for k, v in r.get("headers", [])]
    p.produce(args.topic, value=unb64(r["value"]), key=unb64(r["key"]), partition=r["partition"],
              headers=headers or None, timestamp=r.get("timestamp", 0), on_delivery=on_delivery)
    p.poll(0)
left = p.flush(30)
if left or errors:
    sys.stderr.write("undelivered: %d, errors: %s\n" % (left, errors[:5]))
    sys.exit(1)
