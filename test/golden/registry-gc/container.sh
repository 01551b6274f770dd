#!/bin/bash
# Managed by pulumi-onprem: changes made here are reverted by the next `pulumi up`.
# Registry garbage collection: the registry serves a read-only copy of its config while
# `registry garbage-collect` runs (a push during a collection loses blobs), then restarts on its own
# config (a restart also drops its blob cache, which may still name deleted blobs).
set -euo pipefail
STORAGE=/opt/data/registry
LOG=/var/log/pulumi-onprem-registry-gc.log

log() { printf '%s\n' "$*"; printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >> "$LOG"; }
bytes() { du -sb "$STORAGE" | cut -f1; }
healthy() {
  for _ in $(seq 1 120); do
    if ( code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 --connect-to ::10.99.0.13:5000 http://registry.lab:5000/v2/); [ "$code" = 200 ] || { echo "GET http://registry.lab:5000/v2/ answered ${code:-nothing}, expected 200"; exit 1; } ) >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  log "the registry does not answer after a restart"
  return 1
}
NAME=pulumi-onprem-registry
running() { [ "$(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" = true ]; }
# The container is run again as declared: same label (the config digest), so `pulumi up` sees no drift.
label() { docker inspect -f '{{index .Config.Labels "pulumi-onprem.config"}}' "$NAME"; }
# Stopped, not killed: the registry finishes the requests in flight first. A container already gone
# is fine (the trap's way back must still run the writable one); one that stays makes `docker run` fail.
stop() { docker stop -t 15 pulumi-onprem-registry >/dev/null 2>&1 || true; docker rm -f pulumi-onprem-registry >/dev/null 2>&1 || true; }
readonly_on() {
  LABEL=$(label)
  stop
  docker run -d --name pulumi-onprem-registry --restart=always --label pulumi-onprem.config="$LABEL-readonly" -p 10.99.0.13:5000:5000 -v /opt/data/registry:/var/lib/registry -v /etc/docker/registry:/etc/docker/registry:ro registry:2.8.2 /etc/docker/registry/config-readonly.yml >/dev/null
}
readonly_off() {
  stop
  docker run -d --name pulumi-onprem-registry --restart=always --label pulumi-onprem.config="$LABEL" -p 10.99.0.13:5000:5000 -v /opt/data/registry:/var/lib/registry -v /etc/docker/registry:/etc/docker/registry:ro registry:2.8.2 >/dev/null
}
collect() {
  if running; then docker exec "$NAME" registry garbage-collect /etc/docker/registry/config.yml;
  else docker run --rm -v /opt/data/registry:/var/lib/registry -v /etc/docker/registry:/etc/docker/registry:ro registry:2.8.2 garbage-collect /etc/docker/registry/config.yml; fi
}

exec 9> /run/pulumi-onprem-registry-gc.lock
flock -n 9 || { log "a garbage collection is already running"; exit 1; }
if [ ! -d "$STORAGE/docker/registry/v2/repositories" ]; then log "registry garbage collection of $STORAGE: no images, nothing to collect"; exit 0; fi
if running; then
  # Whatever fails from here on, the registry comes back writable.
  trap 'readonly_off; healthy || true' EXIT
  readonly_on
  healthy
  # Measured while read-only: the difference is what the collector freed, not what pushes added.
  before=$(bytes)
  collect >> "$LOG" 2>&1
  after=$(bytes)
  trap - EXIT
  readonly_off
  healthy
else
  before=$(bytes)
  collect >> "$LOG" 2>&1
  after=$(bytes)
fi
log "registry garbage collection of $STORAGE: $before bytes before, $after after, $((before - after)) freed"
