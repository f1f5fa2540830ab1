#!/bin/sh
# One-shot set-up of a Temporal cluster for Gennaker: create the namespace when it is
# missing, then register Gennaker's five search attributes (models/search.py). Runs in
# temporalio/admin-tools from docker-compose.yml, and anywhere a `temporal` CLI is:
#   TEMPORAL_ADDRESS=host:7233 TEMPORAL_NAMESPACE=gennaker sh deploy/setup-gennaker.sh
# Safe to repeat: an existing namespace is kept, and registering an attribute that
# exists with the same type is a no-op (a different type fails loudly).
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${GENNAKER_RETENTION:-30d}"
ATTEMPTS="${GENNAKER_SETUP_ATTEMPTS:-60}"
PAUSE="${GENNAKER_SETUP_PAUSE:-2}"

# The server, and a namespace just created, take a moment before they answer.
retry() {
  n=0
  until "$@" >/dev/null 2>&1; do
    n=$((n + 1))
    if [ "$n" -ge "$ATTEMPTS" ]; then
      echo "gave up after $n attempts: $*" >&2
      "$@"  # once more, showing why
      return 1
    fi
    sleep "$PAUSE"
  done
}

echo "waiting for Temporal at $ADDRESS"
retry temporal operator cluster health --address "$ADDRESS"

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" \
    --address "$ADDRESS"
fi
retry temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS"

temporal operator search-attribute create --namespace "$NAMESPACE" --address "$ADDRESS" \
  --name GennakerApplication --type Keyword \
  --name GennakerPipeline --type Keyword \
  --name GennakerStatus --type Keyword \
  --name GennakerTrigger --type Keyword \
  --name GennakerAwaitingJudgment --type Bool
echo "namespace $NAMESPACE is ready for Gennaker"
