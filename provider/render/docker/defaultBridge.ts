/**
 * dockerd's default network ("bridge", on docker0) given back its old address. dockerd keeps that
 * network's gateway in its own store and puts it on docker0 at every start, whatever docker0 holds and
 * whatever daemon.json says once "bip" is gone: a resource that set "bip" leaves its address behind.
 * One start told the old address as "bip" replaces the stored one; daemon.json is then put back as it
 * was, and dockerd's next start (the restore's restart) keeps the old address.
 */
import { DAEMON_JSON_PATH } from "./daemonJson";

/**
 * Shell, a function: when `$1` (an address with prefix, "172.17.0.1/16") is not dockerd's default
 * gateway, restart dockerd once with it as "bip" (inserted first in daemon.json's object: `|` delimits
 * the substitution, since the address holds a `/`). Left alone: dockerd stopped or absent, and a bip or bridge dockerd gets
 * from daemon.json or its command line (both again as the operator set them, or a start with two would fail).
 */
export function restoreDefaultBridgeScript(): string {
    const f = DAEMON_JSON_PATH;
    return [
        "restore_docker_bridge() {",
        '  a=$1; [ -n "$a" ] || return 0',
        "  systemctl is-active -q docker 2>/dev/null || return 0",
        `  ! grep -qE '"(bip|bridge)"' ${f} 2>/dev/null || return 0`,
        '  pid=$(systemctl show -p MainPID --value docker 2>/dev/null)',
        `  [ -n "$pid" ] && [ "$pid" != 0 ] && ! tr '\\0' '\\n' < "/proc/$pid/cmdline" | grep -qE '^(--bip|--bridge|-b)(=|$)' || return 0`,
        `  [ "$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null)" != "\${a%/*}" ] || return 0`,
        `  b=${f}.pulumi-onprem-was`,
        `  if [ -e ${f} ]; then cp -a ${f} "$b"; fi`,
        `  if [ ! -s ${f} ] || [ "$(tr -d ' \\t\\r\\n' < ${f})" = "{}" ]; then printf '{"bip": "%s"}\\n' "$a" > ${f}; else sed -i "0,/{/s|{|{\\"bip\\": \\"$a\\", |" ${f}; fi`,
        // Docker's unit allows 3 starts a minute: a destroy restarts it up to three times.
        "  systemctl reset-failed docker 2>/dev/null || true",
        `  systemctl restart docker || echo "dockerd did not start with bip $a: its default network keeps the gateway it had" >&2`,
        `  if [ -e "$b" ]; then mv -f "$b" ${f}; else rm -f ${f}; fi`,
        "  systemctl reset-failed docker 2>/dev/null || true",
        "  systemctl is-active -q docker || systemctl start docker",
        "}",
    ].join("\n");
}
