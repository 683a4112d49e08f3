"""Security driver for kafka-python (Debian's 2.0.2, which authenticates with SaslHandshake v0
and bare tokens, or PyPI's): produce COUNT records to TOPIC partition 0 and read them back with
the client configuration given as JSON (kafka-python's keyword arguments: security_protocol,
sasl_mechanism, sasl_plain_username, ssl_cafile, ...), then print one JSON object: {"ok": true,
"values": [...]} or {"ok": false, "error": "ErrorClass: message"}.

usage: secure_kp.py CONFIG_JSON TOPIC COUNT"""
import json
import logging
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

# kafka-python says why a connection failed only in its log (its exceptions say "no brokers").
logging.basicConfig(level=logging.ERROR, stream=sys.stderr, format="%(name)s %(levelname)s %(message)s")
cfg = json.loads(sys.argv[1])
topic = sys.argv[2]
count = int(sys.argv[3])
tag = str(time.time())
try:
    p = KafkaProducer(**cfg)
    for i in range(count):
        p.send(topic, value=("%s-%d" % (tag, i)).encode(), partition=0).get(timeout=20)
    p.close()
    c = KafkaConsumer(**cfg)
    c.assign([TopicPartition(topic, 0)])
    c.seek_to_beginning()
    values = []
    deadline = time.time() + 20
    while time.time() < deadline and len(values) < count:
        for recs in c.poll(timeout_ms=500).values():
            values.extend(r.value.decode() for r in recs if r.value.decode().startswith(tag))
    c.close()
    print(json.dumps({"ok": True, "values": [v[len(tag) + 1:] for v in values]}), flush=True)
except Exception as e:  # the client's own error, as its users see it
    print(json.dumps({"ok": False, "error": "%s: %s" % (type(e).__name__, e)}), flush=True)
