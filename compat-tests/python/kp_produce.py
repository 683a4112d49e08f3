"""Produce records from stdin with kafka-python; print each acknowledged record as JSON."""
import argparse
import sys

from kafka import KafkaProducer

from common import emit, read_input_records, unb64

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("topic")
ap.add_argument("--acks", default="all")
ap.add_argument("--compression", default=None)
args = ap.parse_args()

acks = args.acks if args.acks == "all" else int(args.acks)
p = KafkaProducer(bootstrap_servers=args.bootstrap, acks=acks, compression_type=args.compression, linger_ms=5)
futures = []
for r in read_input_records():
    headers = [(k, unb64(v)) for k, v in r.get("headers", [])]
    futures.append(p.send(args.topic, value=unb64(r["value"]), key=unb64(r["key"]), partition=r["partition"],
                          headers=headers, timestamp_ms=r.get("timestamp")))
p.flush(30)
for f in futures:
    md = f.get(timeout=30)
    emit({"partition": md.partition, "offset": md.offset})
p.close()
