#!/bin/sh
# One-shot (temporalio/admin-tools): creates Ferry's namespace and registers the search attributes its
# workflows set (lib/search-attributes.ts), so the Web UI can filter runs by job, status, gallery and cloud.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}"

until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  echo 'waiting for the Temporal server...'
  sleep 2
done

temporal operator namespace describe -n "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 ||
  temporal operator namespace create -n "$NAMESPACE" --retention 7d --address "$TEMPORAL_ADDRESS"

existing=$(temporal operator search-attribute list -n "$NAMESPACE" --address "$TEMPORAL_ADDRESS")
for name in FerryJob FerryStatus FerryCloudType; do
  if echo "$existing" | grep -qw "$name"; then
    echo "search attribute $name already registered"
  else
    temporal operator search-attribute create -n "$NAMESPACE" --name "$name" --type Keyword --address "$TEMPORAL_ADDRESS"
  fi
done
echo "namespace $NAMESPACE is ready"
