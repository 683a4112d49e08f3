"""Driver for the newest kafka-python (PyPI): the command line of compat-tests/newest-clients.ts
(admin, produce, read, group, txn, failover), one JSON object per stdout line."""
import json
import signal
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from driver_io import b64, emit, unb64


def admin(bootstrap, topic):
    a = KafkaAdminClient(bootstrap_servers=bootstrap)
    a.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1, topic_configs={"retention.ms": "7200000"})])
    emit({"step": "created"})
    # CreateTopics answers once the controller committed the topic; the broker a request reaches
    # may learn of it a moment later (as with Kafka): describe until it knows the topic.
    deadline = time.time() + 15
    while True:
        md = [t for t in a.describe_topics([topic]) if t["name"] == topic][0]
        res = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all")
        entries = res["topic"][topic]
        if (md["partitions"] and "retention.ms" in entries) or time.time() > deadline:
            break
        time.sleep(0.2)
    emit({"step": "described", "partitions": len(md["partitions"])})
    emit({"step": "configs", "retention.ms": entries["retention.ms"]["value"], "cleanup.policy": entries["cleanup.policy"]["value"]})
    a.delete_topics([topic])
    deadline = time.time() + 15
    while topic in a.list_topics() and time.time() < deadline:
        time.sleep(0.2)
    emit({"step": "deleted", "listed": topic in a.list_topics()})
    a.close()


def produce(bootstrap, topic, codec, idempotent):
    p = KafkaProducer(bootstrap_servers=bootstrap, compression_type=None if codec == "none" else codec,
                      enable_idempotence=idempotent == "1", linger_ms=5)
    futures = []
    for line in sys.stdin:
        if not line.strip():
            continue
        r = json.loads(line)
        futures.append(p.send(topic, partition=r["partition"], key=unb64(r["key"]), value=unb64(r["value"]),
                              headers=[(k, unb64(v)) for k, v in r["headers"]]))
    p.flush(60)
    for f in futures:
        f.get(60)
    p.close()
    emit({"step": "produced", "count": len(futures)})


def read(bootstrap, topic, partitions, isolation, count):
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                      auto_offset_reset="earliest", isolation_level=isolation)
    tps = [TopicPartition(topic, p) for p in range(int(partitions))]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    got = 0
    deadline = time.time() + 60
    stop_at = None
    while time.time() < deadline and (stop_at is None or time.time() < stop_at):
        for _, msgs in c.poll(timeout_ms=200).items():
            for m in msgs:
                emit({"partition": m.partition, "offset": m.offset, "key": b64(m.key), "value": b64(m.value),
                      "headers": [[k, b64(v)] for k, v in (m.headers or [])]})
                got += 1
        if got >= int(count) and stop_at is None:
            stop_at = time.time() + 1
    c.close()
    if got < int(count):
        sys.stderr.write("read %d of %d records\n" % (got, int(count)))
        sys.exit(1)


def group(bootstrap, topic, group_id):
    stopping = [False]
    signal.signal(signal.SIGTERM, lambda *_: stopping.__setitem__(0, True))
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False,
                      auto_offset_reset="earliest", session_timeout_ms=10000, heartbeat_interval_ms=500)
    last = None
    while not stopping[0]:
        batch = c.poll(timeout_ms=200)
        owned = sorted(tp.partition for tp in c.assignment())
        if owned != last:
            last = owned
            emit({"event": "assigned", "partitions": owned})
        if not batch:
            continue
        for _, msgs in batch.items():
            for m in msgs:
                emit({"event": "record", "partition": m.partition, "offset": m.offset, "value": b64(m.value)})
        c.commit()
    c.close()
    emit({"event": "closed"})


def txn(bootstrap, topic, txn_id):
    p = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=txn_id)
    p.init_transactions()
    for prefix, outcome in (("commit1", "commit"), ("abort", "abort"), ("commit2", "commit")):
        p.begin_transaction()
        for i in range(6):
            p.send(topic, partition=i % 2, key=b"k%d" % i, value=("%s-%d" % (prefix, i)).encode())
        p.flush(30)
        if outcome == "commit":
            p.commit_transaction()
        else:
            p.abort_transaction()
        emit({"step": "txn", "outcome": outcome})
    p.close()


def cluster_admin(bootstrap, topic):
    """The cluster seen by the admin client: the brokers, a topic with replication factor 3 and
    one with explicit assignments, described with leaders and ISRs once every partition has a leader."""
    a = KafkaAdminClient(bootstrap_servers=bootstrap)
    ids = sorted(b["broker_id"] for b in a.describe_cluster()["brokers"])
    emit({"step": "cluster", "brokers": ids})
    assigned = {0: [ids[1], ids[2], ids[0]], 1: [ids[2], ids[0], ids[1]]}
    a.create_topics([NewTopic(topic + "-rf3", num_partitions=3, replication_factor=3),
                     NewTopic(topic + "-assigned", replica_assignments=assigned)])
    for name in (topic + "-rf3", topic + "-assigned"):
        deadline = time.time() + 15
        while True:
            found = [t for t in a.describe_topics([name]) if t["name"] == name]
            parts = found[0]["partitions"] if found and found[0]["error_code"] == 0 else []
            if (parts and all(p["leader_id"] >= 0 for p in parts)) or time.time() > deadline:
                break
            time.sleep(0.2)
        emit({"step": "topic", "name": name, "partitions": [
            {"partition": p["partition_index"], "leader": p["leader_id"], "replicas": p["replica_nodes"], "isr": p["isr_nodes"]}
            for p in sorted(parts, key=lambda p: p["partition_index"])]})
    a.close()


def ctp(bootstrap, src, dst, group, txn_id, count):
    """Consume-transform-produce, exactly once: a read_committed group consumer of `src`; per poll, a
    transaction writes "in-N" as "out-N" to the same partition of `dst` and commits the consumer's
    positions with it. Any error: the transaction is aborted (if it can be), the producer replaced
    (the new one fences the old) and the consumer rewound to the group's committed offsets. Ends
    once `src` holds `count` records and the group has committed the end of every partition of it."""
    import logging, os
    if os.environ.get("CTP_LOG"):
        logging.basicConfig(filename=os.environ["CTP_LOG"], level=logging.DEBUG)
    else:
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    consumer = KafkaConsumer(src, bootstrap_servers=bootstrap, group_id=group, isolation_level="read_committed",
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             session_timeout_ms=10000, heartbeat_interval_ms=500)
    producer = None
    total = 0
    deadline = time.time() + 240
    while time.time() < deadline:
        if producer is None:
            # Short request and delivery timeouts: a batch the transaction cannot send (its
            # coordinator died mid-way) fails in seconds rather than after the default 2 minutes.
            producer = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=txn_id, linger_ms=5,
                                     request_timeout_ms=5000, delivery_timeout_ms=20000)
            producer.init_transactions()
        batch = consumer.poll(timeout_ms=500)
        msgs = [m for ms in batch.values() for m in ms]
        if not msgs:
            assigned = consumer.assignment()
            parts = consumer.partitions_for_topic(src) or set()
            if assigned and len(assigned) == len(parts):
                ends = consumer.end_offsets(list(assigned))
                if sum(ends.values()) >= int(count) and all((consumer.committed(tp) or 0) >= ends[tp] for tp in assigned):
                    break
            continue
        try:
            producer.begin_transaction()
            for m in msgs:
                producer.send(dst, partition=m.partition, key=m.key, value=b"out-" + m.value[3:])
            positions = {tp: OffsetAndMetadata(consumer.position(tp), "", -1) for tp in consumer.assignment()}
            producer.send_offsets_to_transaction(positions, consumer.group_metadata())
            producer.commit_transaction()
            total += len(msgs)
            emit({"committed": len(msgs), "total": total})
        except Exception as e:  # start over from the committed offsets with a new producer
            emit({"error": str(e)})
            try:
                producer.abort_transaction()
            except Exception:
                pass
            try:
                producer.close(timeout=5)
            except Exception:
                pass
            producer = None
            for tp in consumer.assignment():
                committed = consumer.committed(tp)
                if committed is None:
                    consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, committed)
    consumer.close()
    emit({"step": "done", "total": total})


def failover(bootstrap, topic, count):
    """One record at a time to partition 0, idempotent with acks=all, each awaited: prints
    {"acked": v} or {"failed": v} per record while the test kills the partition's leader."""
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                      request_timeout_ms=5000, retry_backoff_ms=100)
    for i in range(int(count)):
        v = "f-%d" % i
        try:
            p.send(topic, partition=0, value=v.encode()).get(90)
            emit({"acked": v})
        except Exception as e:  # not acknowledged: the test only checks acknowledged records
            emit({"failed": v, "error": str(e)})
        time.sleep(0.005)
    p.close()
    emit({"step": "done"})


commands = {"admin": admin, "produce": produce, "read": read, "group": group, "txn": txn, "failover": failover,
            "cluster-admin": cluster_admin, "ctp": ctp}
commands[sys.argv[1]](*sys.argv[2:])
