"""Security driver for confluent-kafka-python (Debian's 1.7.0 on librdkafka 2.0.2, or PyPI's):
produce COUNT records to TOPIC partition 0 and read them back with the client configuration given
as JSON (security.protocol, sasl.*, ssl.*), then print one JSON object: {"ok": true, "values":
[...]} or {"ok": false, "error": "..."} with the first error the client reported.

usage: secure_ck.py CONFIG_JSON TOPIC COUNT"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

cfg = json.loads(sys.argv[1])
topic = sys.argv[2]
count = int(sys.argv[3])
errors = []


def on_error(err):
    errors.append(err.str())


def fail(what):
    print(json.dumps({"ok": False, "error": errors[0] if errors else what}), flush=True)
    sys.exit(0)


base = dict(cfg, **{"error_cb": on_error})
p = Producer(dict(base, **{"message.timeout.ms": 15000}))
delivered = []
tag = str(time.time())
for i in range(count):
    p.produce(topic, value=("%s-%d" % (tag, i)).encode(), partition=0, on_delivery=lambda e, m: delivered.append(e))
# An authentication failure is final: stop at the first, as librdkafka would only retry it.
deadline = time.time() + 20
left = len(p)
while left and time.time() < deadline and not any("Authentication" in e or "SSL" in e for e in errors):
    left = p.flush(0.2)
if left or not delivered or any(e is not None for e in delivered):
    fail("produce: %s" % [str(e) for e in delivered if e is not None][:1])

c = Consumer(dict(base, **{"group.id": "secure-ck-%s" % tag, "enable.auto.commit": False}))
c.assign([TopicPartition(topic, 0, 0)])
values = []
deadline = time.time() + 20
while time.time() < deadline and len([v for v in values if v.startswith(tag)]) < count and not errors:
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error():
        if m.error().code() == KafkaError._PARTITION_EOF:
            continue
        fail(m.error().str())
    values.append(m.value().decode())
c.close()
if errors:
    fail("consume")
print(json.dumps({"ok": True, "values": [v[len(tag) + 1:] for v in values if v.startswith(tag)]}), flush=True)
