"""KafkaAdminClient (kafka-python) config calls: describe or alter a topic's configs; prints JSON."""
import argparse
import json

from kafka.admin import KafkaAdminClient, ConfigResource, ConfigResourceType

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("action", choices=["describe", "alter"])
ap.add_argument("topic")
ap.add_argument("configs", nargs="*", help="key=value for alter")
args = ap.parse_args()

admin = KafkaAdminClient(bootstrap_servers=args.bootstrap)
if args.action == "alter":
    cfg = dict(kv.split("=", 1) for kv in args.configs)
    resp = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, args.topic, configs=cfg)])
    print(json.dumps({"errors": [r[0] for r in resp.resources]}))
else:
    resp = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, args.topic)])
    out = {}
    for r in resp:
        for res in r.resources:
            for entry in res[4]:
                out[entry[0]] = entry[1]
    print(json.dumps(out))
admin.close()
