"""AdminClient (confluent-kafka) config calls: describe or alter a topic's configs; prints JSON."""
import argparse
import json
import sys

from confluent_kafka.admin import AdminClient, ConfigResource

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("action", choices=["describe", "alter"])
ap.add_argument("topic")
ap.add_argument("configs", nargs="*", help="key=value for alter")
args = ap.parse_args()

admin = AdminClient({"bootstrap.servers": args.bootstrap})
if args.action == "alter":
    res = ConfigResource("topic", args.topic, set_config=dict(kv.split("=", 1) for kv in args.configs))
    for r, f in admin.alter_configs([res], request_timeout=15).items():
        f.result()
    print(json.dumps({"altered": True}))
else:
    res = ConfigResource("topic", args.topic)
    for r, f in admin.describe_configs([res], request_timeout=15).items():
        entries = f.result()
        print(json.dumps({k: {"value": v.value, "source": int(v.source), "default": v.is_default} for k, v in entries.items()}))
sys.exit(0)
