"""AdminClient (confluent-kafka) SCRAM credential calls (KIP-554); prints one JSON object per line.

  ck_scram.py <bootstrap> upsert <user> <SCRAM-SHA-256|SCRAM-SHA-512> <iterations> <password>
      {"user": ..., "error": null | "<error name>"}
  ck_scram.py <bootstrap> delete <user> <mechanism>
      {"user": ..., "error": null | "<error name>"}
  ck_scram.py <bootstrap> describe [user ...]
      {"user": ..., "credentials": [[mechanism, iterations], ...]} or {"user": ..., "error": "<error name>"}
      (no user: every user, from the single future librdkafka returns then)
"""
import json
import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import (AdminClient, ScramCredentialInfo, ScramMechanism,
                                   UserScramCredentialDeletion, UserScramCredentialUpsertion)


def error_name(e):
    err = e.args[0] if isinstance(e, KafkaException) and e.args else e
    return err.name() if hasattr(err, "name") else str(err)


def mechanism(name):
    return {"SCRAM-SHA-256": ScramMechanism.SCRAM_SHA_256, "SCRAM-SHA-512": ScramMechanism.SCRAM_SHA_512}[name]


def credentials(desc):
    return [[ScramMechanism(i.mechanism).name.replace("_", "-"), i.iterations] for i in desc.scram_credential_infos]


bootstrap, action, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
admin = AdminClient({"bootstrap.servers": bootstrap})
if action in ("upsert", "delete"):
    if action == "upsert":
        user, mech, iterations, password = rest
        alteration = UserScramCredentialUpsertion(user, ScramCredentialInfo(mechanism(mech), int(iterations)), password.encode())
    else:
        user, mech = rest
        alteration = UserScramCredentialDeletion(user, mechanism(mech))
    for u, f in admin.alter_user_scram_credentials([alteration], request_timeout=15).items():
        try:
            f.result()
            print(json.dumps({"user": u, "error": None}))
        except KafkaException as e:
            print(json.dumps({"user": u, "error": error_name(e)}))
elif rest:
    for u, f in admin.describe_user_scram_credentials(rest, request_timeout=15).items():
        try:
            print(json.dumps({"user": u, "credentials": credentials(f.result())}))
        except KafkaException as e:
            print(json.dumps({"user": u, "error": error_name(e)}))
else:
    for u, desc in sorted(admin.describe_user_scram_credentials(request_timeout=15).result().items()):
        print(json.dumps({"user": u, "credentials": credentials(desc)}))
sys.stdout.flush()
