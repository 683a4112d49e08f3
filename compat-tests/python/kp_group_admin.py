"""kafka-python's KafkaAdminClient group calls for one group; prints one JSON object:
  {"listed": [[group, protocol_type]], "described": [...], "offsets": {"topic:partition": offset}}
listed keeps only groups whose id starts with --prefix.
"""
import argparse
import json

from kafka import KafkaAdminClient

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("group")
ap.add_argument("--prefix", default="")
args = ap.parse_args()

admin = KafkaAdminClient(bootstrap_servers=args.bootstrap)
listed = sorted([list(g) for g in admin.list_consumer_groups() if g[0].startswith(args.prefix)])
described = []
for d in admin.describe_consumer_groups([args.group]):
    described.append({
        "error_code": d.error_code,
        "group": d.group,
        "state": d.state,
        "protocol_type": d.protocol_type,
        "protocol": d.protocol,
        "members": len(d.members),
    })
offsets = {"%s:%d" % (tp.topic, tp.partition): om.offset for tp, om in admin.list_consumer_group_offsets(args.group).items()}
print(json.dumps({"listed": listed, "described": described, "offsets": dict(sorted(offsets.items()))}))
admin.close()
