"""KafkaAdminClient (kafka-python 3) SCRAM credential calls (KIP-554); prints one JSON object per line.

  kp_scram.py <bootstrap> upsert <user> <SCRAM-SHA-256|SCRAM-SHA-512> <iterations> <password>
  kp_scram.py <bootstrap> delete <user> <mechanism>
      {"user": ..., "error": null | "<the broker's error message>"}
  kp_scram.py <bootstrap> describe [user ...]
      {"user": ..., "credentials": [[mechanism, iterations], ...]} or {"user": ..., "error": "<message>"}
"""
import json
import sys

from kafka.admin import KafkaAdminClient, ScramMechanism, UserScramCredentialDeletion, UserScramCredentialUpsertion


def mechanism(name):
    return {"SCRAM-SHA-256": ScramMechanism.SCRAM_SHA_256, "SCRAM-SHA-512": ScramMechanism.SCRAM_SHA_512}[name]


def mechanism_name(m):
    return ScramMechanism(int(m)).name.replace("_", "-")


bootstrap, action, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
try:
    if action == "upsert":
        user, mech, iterations, password = rest
        results = admin.alter_user_scram_credentials([UserScramCredentialUpsertion(user, mechanism(mech), password, iterations=int(iterations))])
    elif action == "delete":
        user, mech = rest
        results = admin.alter_user_scram_credentials([UserScramCredentialDeletion(user, mechanism(mech))])
    if action in ("upsert", "delete"):
        for u, error in results.items():
            print(json.dumps({"user": u, "error": error}))
    else:
        for u, d in sorted(admin.describe_user_scram_credentials(rest or None).items()):
            if d["error"]:
                print(json.dumps({"user": u, "error": d["error"]}))
            else:
                print(json.dumps({"user": u, "credentials": [[mechanism_name(i["mechanism"]), i["iterations"]] for i in d["credential_infos"]]}))
finally:
    admin.close()
sys.stdout.flush()
