"""Driver for the newest confluent-kafka-python (PyPI, bundled librdkafka): the command line of
compat-tests/newest-clients.ts (admin, produce, read, group, txn, failover), one JSON object per stdout line."""
import json
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, OFFSET_BEGINNING, Producer, TopicCollection, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from driver_io import b64, emit, unb64


def described(a, topic):
    """DescribeTopics, retried while the new topic is not yet in every broker's metadata (Kafka
    answers UNKNOWN_TOPIC_OR_PART for a moment after CreateTopics returns)."""
    deadline = time.time() + 15
    while True:
        try:
            return a.describe_topics(TopicCollection([topic]))[topic].result(30)
        except KafkaException as e:
            if e.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART or time.time() > deadline:
                raise
            time.sleep(0.2)


def admin(bootstrap, topic):
    a = AdminClient({"bootstrap.servers": bootstrap})
    a.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1, config={"retention.ms": "7200000"})])[topic].result(30)
    emit({"step": "created"})
    md = described(a, topic)
    emit({"step": "described", "partitions": len(md.partitions)})
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = a.describe_configs([res])[res].result(30)
    emit({"step": "configs", "retention.ms": configs["retention.ms"].value, "cleanup.policy": configs["cleanup.policy"].value})
    a.delete_topics([topic])[topic].result(30)
    deadline = time.time() + 15
    while topic in a.list_topics(timeout=10).topics and time.time() < deadline:
        time.sleep(0.2)
    emit({"step": "deleted", "listed": topic in a.list_topics(timeout=10).topics})


def produce(bootstrap, topic, codec, idempotent):
    p = Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "enable.idempotence": idempotent == "1",
                  "linger.ms": 5})
    errors = []
    delivered = [0]

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered[0] += 1

    for line in sys.stdin:
        if not line.strip():
            continue
        r = json.loads(line)
        p.produce(topic, partition=r["partition"], key=unb64(r["key"]), value=unb64(r["value"]),
                  headers=[(k, unb64(v)) for k, v in r["headers"]], on_delivery=on_delivery)
        p.poll(0)
    if p.flush(60) != 0 or errors:
        sys.stderr.write("produce failed: %s\n" % errors)
        sys.exit(1)
    emit({"step": "produced", "count": delivered[0]})


def read(bootstrap, topic, partitions, isolation, count):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "newest-ck-assign", "enable.auto.commit": False,
                  "isolation.level": isolation})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(int(partitions))])
    got = 0
    deadline = time.time() + 60
    stop_at = None
    while time.time() < deadline and (stop_at is None or time.time() < stop_at):
        msg = c.poll(0.2)
        if msg is None:
            continue
        if msg.error():
            sys.stderr.write("consume error: %s\n" % msg.error())
            sys.exit(1)
        emit({"partition": msg.partition(), "offset": msg.offset(), "key": b64(msg.key()), "value": b64(msg.value()),
              "headers": [[k, b64(v)] for k, v in (msg.headers() or [])]})
        got += 1
        if got >= int(count) and stop_at is None:
            stop_at = time.time() + 1
    c.close()
    if got < int(count):
        sys.stderr.write("read %d of %d records\n" % (got, int(count)))
        sys.exit(1)


def group(bootstrap, topic, group_id, protocol="classic"):
    stopping = [False]
    signal.signal(signal.SIGTERM, lambda *_: stopping.__setitem__(0, True))
    conf = {"bootstrap.servers": bootstrap, "group.id": group_id, "enable.auto.commit": False,
            "auto.offset.reset": "earliest"}
    if protocol == "consumer":
        # KIP-848: the broker assigns and sets the session timeout and heartbeat interval.
        conf["group.protocol"] = "consumer"
    else:
        conf.update({"session.timeout.ms": 10000, "heartbeat.interval.ms": 500})
    c = Consumer(conf)
    # "re:<pattern>": a regex subscription (librdkafka's "^" prefix), sent to the broker with KIP-848.
    c.subscribe(["^" + topic[3:]] if topic.startswith("re:") else [topic])
    last = None
    while not stopping[0]:
        msgs = c.consume(100, 0.2)
        owned = sorted(tp.partition for tp in c.assignment())
        if owned != last:
            last = owned
            emit({"event": "assigned", "partitions": owned})
        if not msgs:
            continue
        for msg in msgs:
            if msg.error():
                sys.stderr.write("consume error: %s\n" % msg.error())
                continue
            emit({"event": "record", "partition": msg.partition(), "offset": msg.offset(), "value": b64(msg.value())})
        c.commit(asynchronous=False)
    c.close()
    emit({"event": "closed"})


def txn(bootstrap, topic, txn_id):
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id})
    p.init_transactions(30)
    for prefix, outcome in (("commit1", "commit"), ("abort", "abort"), ("commit2", "commit")):
        p.begin_transaction()
        for i in range(6):
            p.produce(topic, partition=i % 2, key=b"k%d" % i, value=("%s-%d" % (prefix, i)).encode())
        p.flush(30)
        if outcome == "commit":
            p.commit_transaction(30)
        else:
            p.abort_transaction(30)
        emit({"step": "txn", "outcome": outcome})


def cluster_admin(bootstrap, topic):
    """The cluster seen by the admin client: the brokers, a topic with replication factor 3 and
    one with explicit assignments, described with leaders and ISRs once every partition has a leader."""
    a = AdminClient({"bootstrap.servers": bootstrap})
    ids = sorted(n.id for n in a.describe_cluster().result(30).nodes)
    emit({"step": "cluster", "brokers": ids})
    assigned = [[ids[1], ids[2], ids[0]], [ids[2], ids[0], ids[1]]]
    futures = a.create_topics([NewTopic(topic + "-rf3", num_partitions=3, replication_factor=3),
                               NewTopic(topic + "-assigned", num_partitions=len(assigned), replica_assignment=assigned)])
    for f in futures.values():
        f.result(30)
    for name in (topic + "-rf3", topic + "-assigned"):
        deadline = time.time() + 15
        while True:
            try:
                parts = described(a, name).partitions
            except KafkaException:
                parts = []
            if (parts and all(p.leader is not None and p.leader.id >= 0 for p in parts)) or time.time() > deadline:
                break
            time.sleep(0.2)
        emit({"step": "topic", "name": name, "partitions": [
            {"partition": p.id, "leader": p.leader.id if p.leader is not None else -1,
             "replicas": [n.id for n in p.replicas], "isr": [n.id for n in p.isr]}
            for p in sorted(parts, key=lambda p: p.id)]})


def ctp(bootstrap, src, dst, group, txn_id, count):
    """Consume-transform-produce, exactly once: a read_committed group consumer of `src`; per poll, a
    transaction writes "in-N" as "out-N" to the same partition of `dst` and commits the consumer's
    positions with it. Any error: the transaction is aborted (if it can be), the producer replaced
    (the new one fences the old and aborts what it left open) and the consumer rewound to the
    group's committed offsets. Ends once `src` holds `count` records and the group has committed the
    end of every partition of it.
    Prints {"committed": n, "total": t} per transaction, {"error": ...} per failure, {"step": "done"}."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "isolation.level": "read_committed",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "session.timeout.ms": 10000, "heartbeat.interval.ms": 500})
    consumer.subscribe([src])
    producer = None
    total = 0
    deadline = time.time() + 240
    while time.time() < deadline:
        if producer is None:
            producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5})
            producer.init_transactions(60)
        msgs = [m for m in consumer.consume(100, 0.5) if not m.error()]
        if not msgs:
            assignment = consumer.assignment()
            if assignment:
                # While a broker is down these queries may fail (librdkafka: _DESTROY_BROKER,
                # timeouts); the check is only whether the loop is done, so it is asked again later.
                try:
                    committed = consumer.committed(assignment, 30)
                    ends = [consumer.get_watermark_offsets(tp, 10)[1] for tp in assignment]
                    parts = len(consumer.list_topics(src, 10).topics[src].partitions)
                except KafkaException:
                    continue
                if len(assignment) == parts and sum(ends) >= int(count) and all(c.offset >= e for c, e in zip(committed, ends)):
                    break
            continue
        try:
            producer.begin_transaction()
            for m in msgs:
                producer.produce(dst, partition=m.partition(), key=m.key(), value=b"out-" + m.value()[3:])
            producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 60)
            producer.commit_transaction(60)
            total += len(msgs)
            emit({"committed": len(msgs), "total": total})
        except Exception as e:  # start over from the committed offsets with a new producer
            emit({"error": str(e)})
            try:
                producer.abort_transaction(10)
            except Exception:
                pass
            producer = None
            for tp in consumer.committed(consumer.assignment(), 30):
                consumer.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING))
    consumer.close()
    emit({"step": "done", "total": total})


def failover(bootstrap, topic, count):
    """One record at a time to partition 0, idempotent with acks=all, each awaited: prints
    {"acked": v} or {"failed": v} per record while the test kills the partition's leader."""
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                  "message.timeout.ms": 90000, "linger.ms": 0})
    for i in range(int(count)):
        v = "f-%d" % i
        outcome = []
        p.produce(topic, partition=0, value=v.encode(), on_delivery=lambda err, msg: outcome.append(err))
        while not outcome:
            p.poll(0.05)
        emit({"acked": v} if outcome[0] is None else {"failed": v, "error": str(outcome[0])})
        time.sleep(0.005)
    p.flush(30)
    emit({"step": "done"})


def telemetry(bootstrap, topic, ms):
    """KIP-714: a producer (enable.metrics.push on, librdkafka's default) sends a record every 100 ms
    for `ms` milliseconds and closes; the test set up the subscription and reads what was pushed."""
    p = Producer({"bootstrap.servers": bootstrap, "enable.metrics.push": True, "linger.ms": 0})
    sent = 0
    end = time.time() + int(ms) / 1000
    while time.time() < end:
        p.produce(topic, value=("v%d" % sent).encode())
        p.flush(30)
        sent += 1
        time.sleep(0.1)
    p.flush(30)
    del p
    emit({"step": "closed", "sent": sent})


commands = {"admin": admin, "produce": produce, "read": read, "group": group, "txn": txn, "failover": failover,
            "cluster-admin": cluster_admin, "ctp": ctp, "telemetry": telemetry}
commands[sys.argv[1]](*sys.argv[2:])
