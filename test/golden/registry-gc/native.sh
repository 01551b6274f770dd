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
    if ( code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 --cacert /etc/docker/registry/ca.crt --connect-to ::10.99.0.13:5000 https://registry.lab:5000/v2/); [ "$code" = 401 ] || { echo "GET https://registry.lab:5000/v2/ answered ${code:-nothing}, expected 401"; exit 1; } ) >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  log "the registry does not answer after a restart"
  return 1
}
DROPIN=/run/systemd/system/docker-registry.service.d/50-pulumi-onprem-readonly.conf
DEFAULTS=/etc/default/docker-registry
running() { systemctl is-active --quiet docker-registry; }
readonly_on() {
  if [ -d /run/systemd/system ]; then
    mkdir -p "${DROPIN%/*}"
    printf '[Service]\nExecStart=\nExecStart=%s serve %s\n' /usr/bin/docker-registry /etc/docker/registry/config-readonly.yml > "$DROPIN"
    systemctl daemon-reload
  else
    # Without systemd, Debian's init script reads CONFIG from its defaults file.
    if [ -e "$DEFAULTS" ]; then cp -p "$DEFAULTS" "$DEFAULTS.pulumi-onprem-gc"; fi
    printf 'CONFIG=%s\n' /etc/docker/registry/config-readonly.yml >> "$DEFAULTS"
  fi
  systemctl restart docker-registry
}
readonly_off() {
  if [ -d /run/systemd/system ]; then
    rm -f "$DROPIN"
    systemctl daemon-reload
  elif [ -e "$DEFAULTS.pulumi-onprem-gc" ]; then
    mv -f "$DEFAULTS.pulumi-onprem-gc" "$DEFAULTS"
  else
    rm -f "$DEFAULTS"
  fi
  systemctl restart docker-registry
}
collect() { runuser -u docker-registry -- /usr/bin/docker-registry garbage-collect --delete-untagged /etc/docker/registry/config.yml; }

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
