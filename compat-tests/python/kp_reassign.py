"""kafka-python (the newest, from the venv) moving one partition: alter_partition_reassignments to
the replicas given, list_partition_reassignments until it is done, then a cancel with nothing going
on. Used by src/reassignment-cluster.test.ts; one JSON object per stdout line.

    kp_reassign.py <bootstrap> <topic> <partition> <broker,broker,...>
"""
import sys
import time

from kafka import KafkaAdminClient, TopicPartition

from driver_io import emit


def name(err):
    return None if err is None else err.__name__


def main(bootstrap, topic, partition, replicas):
    a = KafkaAdminClient(bootstrap_servers=bootstrap)
    tp = TopicPartition(topic, int(partition))
    target = [int(r) for r in replicas.split(",")]
    emit({"step": "altered", "error": name(a.alter_partition_reassignments({tp: target}).get(tp))})
    listed = a.list_partition_reassignments()
    emit({"step": "listed", "ongoing": {f"{t.topic}-{t.partition}": v for t, v in listed.items()}})
    deadline = time.time() + 30
    while a.list_partition_reassignments([tp]) and time.time() < deadline:
        time.sleep(0.2)
    emit({"step": "done", "ongoing": len(a.list_partition_reassignments([tp]))})
    emit({"step": "cancel-nothing", "error": name(a.alter_partition_reassignments({tp: None}).get(tp))})
    a.close()


main(*sys.argv[1:])
