"""One transaction with a confluent-kafka (librdkafka) transactional producer, for the transaction
tests. Run with python3 -u; prints one JSON object per line:
  {"ev": "init"}                          init_transactions() returned
  {"ev": "sent", "phase": n, "count": k}  phase n's records were produced and flushed (all delivered)
  {"ev": "go"}                            SIGUSR1 arrived (with --wait-signal)
  {"ev": "committed"} / {"ev": "aborted"} the transaction ended as asked
  {"ev": "error", "op", "name", "code", "fatal", "retriable", "abortable", "error"}
                                          an operation failed (the script then exits 0)

Records: value "<prefix>-<phase>-<i>", key "k<i>", partition i % partitions.
Steps: init_transactions, begin_transaction, phase 0 records, flush; then with --wait-signal wait
for SIGUSR1 (at most --signal-timeout s) and produce phase 1 records (--phases 2); with --sleep-ms
sleep; then --action commit|abort, or hold: exit at once with os._exit, leaving the transaction
open as a crashed producer would.
"""
import argparse
import json
import os
import signal
import sys
import time

from confluent_kafka import KafkaException, Producer

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("topic")
ap.add_argument("transactional_id")
ap.add_argument("--partitions", type=int, default=1)
ap.add_argument("--count", type=int, default=10, help="records per phase")
ap.add_argument("--prefix", default="txn")
ap.add_argument("--phases", type=int, default=1, choices=[1, 2])
ap.add_argument("--action", choices=["commit", "abort", "hold"], default="commit")
ap.add_argument("--wait-signal", action="store_true")
ap.add_argument("--signal-timeout", type=float, default=60)
ap.add_argument("--sleep-ms", type=int, default=0)
ap.add_argument("--txn-timeout-ms", type=int, default=60000, help="transaction.timeout.ms")
ap.add_argument("--op-timeout", type=float, default=30, help="timeout of init/commit/abort calls, seconds")
args = ap.parse_args()


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


go = False


def on_usr1(signum, frame):
    global go
    go = True


signal.signal(signal.SIGUSR1, on_usr1)

conf = {
    "bootstrap.servers": args.bootstrap,
    "client.id": "ck-txn-" + args.transactional_id,
    "transactional.id": args.transactional_id,
    "transaction.timeout.ms": args.txn_timeout_ms,
    "message.timeout.ms": min(30000, args.txn_timeout_ms),
    "socket.timeout.ms": min(60000, args.txn_timeout_ms),
    "linger.ms": 5,
    "reconnect.backoff.ms": 50,
    "reconnect.backoff.max.ms": 500,
}
p = Producer(conf)
delivery_errors = []


def on_delivery(err, msg):
    if err is not None:
        delivery_errors.append(str(err))


def fail(op, e):
    err = e.args[0] if e.args else None
    if hasattr(err, "code"):
        out({"ev": "error", "op": op, "name": err.name(), "code": err.code(), "fatal": err.fatal(),
             "retriable": err.retriable(), "abortable": err.txn_requires_abort(), "error": err.str()})
    else:
        out({"ev": "error", "op": op, "name": None, "code": None, "fatal": None, "retriable": None,
             "abortable": None, "error": str(e)})
    sys.exit(0)


def produce_phase(phase):
    for i in range(args.count):
        p.produce(args.topic, value=("%s-%d-%d" % (args.prefix, phase, i)).encode(), key=("k%d" % i).encode(),
                  partition=i % args.partitions, on_delivery=on_delivery)
        p.poll(0)
    left = p.flush(args.op_timeout)
    if left or delivery_errors:
        out({"ev": "error", "op": "produce", "name": None, "code": None, "fatal": None, "retriable": None,
             "abortable": None, "error": "undelivered %d, errors %s" % (left, delivery_errors[:5])})
        sys.exit(0)
    out({"ev": "sent", "phase": phase, "count": args.count})


try:
    p.init_transactions(args.op_timeout)
except KafkaException as e:
    fail("init", e)
out({"ev": "init"})
try:
    p.begin_transaction()
except KafkaException as e:
    fail("begin", e)
produce_phase(0)

if args.wait_signal:
    deadline = time.time() + args.signal_timeout
    while not go and time.time() < deadline:
        p.poll(0.1)
    if not go:
        sys.stderr.write("no SIGUSR1 within %s s\n" % args.signal_timeout)
        sys.exit(1)
    out({"ev": "go"})
if args.phases == 2:
    produce_phase(1)
if args.sleep_ms:
    end = time.time() + args.sleep_ms / 1000.0
    while time.time() < end:
        p.poll(0.1)

if args.action == "hold":
    os._exit(0)
try:
    if args.action == "commit":
        p.commit_transaction(args.op_timeout)
        out({"ev": "committed"})
    else:
        p.abort_transaction(args.op_timeout)
        out({"ev": "aborted"})
except KafkaException as e:
    fail(args.action, e)
