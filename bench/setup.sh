#!/usr/bin/env bash
# Bench-only tools for bench/e2e.ts, built into .cache/bench/ (git-ignored). Not part of .ci/run:
# no test needs them. Run from anywhere; e2e.ts runs it itself when a binary is missing.
#
#   kfake-bench         franz-go's kfake (bench/fakes/kfake, versions pinned by its go.mod/go.sum;
#                       needs Go, downloads the modules from the Go module proxy once)
#   rdkafka-mock-bench  librdkafka's mock cluster (bench/fakes/rdkafka-mock/mock.c; needs a C
#                       compiler and Debian's librdkafka-dev, installed here with apt-get if absent)
#
# Apache Kafka itself is resolved by compat-tests/reference/kafka.ts (Maven) and kcat comes from
# Debian's kcat package, as for the compatibility tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/.cache/bench"
mkdir -p "$out"

if ! command -v go >/dev/null; then
  echo "setup.sh: Go is needed to build kfake (https://go.dev/dl/)" >&2
  exit 1
fi
(cd "$root/bench/fakes/kfake" && go build -trimpath -o "$out/kfake-bench" .)

if [ ! -f /usr/include/librdkafka/rdkafka_mock.h ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q librdkafka-dev
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q librdkafka-dev
  fi
fi
cc -O2 -Wall -o "$out/rdkafka-mock-bench" "$root/bench/fakes/rdkafka-mock/mock.c" $(pkg-config --cflags --libs rdkafka)

echo "built $out/kfake-bench and $out/rdkafka-mock-bench"
