/**
 * A registry container started by hand (seed 000: `docker run -d -p 5000:5000 --restart=always
 * -v /opt/data/registry:/var/lib/registry registry:2`) on the port this registry takes, serving the
 * storage directory this registry declares: adopted, not refused. `up` stops it, with its restart policy
 * set to "no" so that a reboot does not start it against this registry, and this registry serves the
 * same images from the same directory; destroy gives it back (its restart policy as it was, started
 * again). The images never move: they are the storage directory.
 */
import type { StateSpec } from "../../contract/desired";
import { shellQuote as q } from "../../contract/shell";
import { CONTAINER_STORAGE_PATH } from "../../plan/registry/model";
import { REGISTRY_STOP_SECONDS } from "./configYml";

/** Per adopted container, a file named after it holding its restart policy, until destroy gives it back. */
export const ADOPTED_CONTAINERS_DIR = "/var/lib/pulumi-onprem/registry-adopted";

/** Where the registry listens and what it serves; `container` is this registry's own (never adopted). */
export interface AdoptionTarget {
    port: number;
    storage: string;
    container: string;
}

/**
 * Shell: "<id> <name> <storage>" per running container other than `container` that publishes the port,
 * where <storage> is the host directory mounted at the registry image's data path ("-" when none).
 */
export function containersOnPort(t: AdoptionTarget): string {
    const mount = `{{range .Mounts}}{{if eq .Destination "${CONTAINER_STORAGE_PATH}"}}{{.Source}}{{end}}{{end}}`;
    return [
        `docker ps -q --filter publish=${t.port} 2>/dev/null | while read -r id; do`,
        `  set -- $(docker inspect -f '{{.Name}} ${mount}' "$id" 2>/dev/null)`,
        `  [ "\${1#/}" = ${q(t.container)} ] || echo "$id \${1#/} \${2:--}"`,
        "done",
    ].join("\n");
}

/**
 * The live state "no hand-started registry on this port and storage runs beside this registry". Its
 * apply adopts each such container; its remove (destroy, and the rollback of a first apply: it runs
 * once this registry is stopped) gives each back. A container on the port with other storage is not
 * touched here: the port probe refuses it before anything changes.
 */
export function adoptionState(t: AdoptionTarget): StateSpec {
    const dir = q(ADOPTED_CONTAINERS_DIR);
    const adoptable = `{ ${containersOnPort(t)}\n} | while read -r id name src; do [ "$src" = ${q(t.storage)} ] && echo "$id $name"; done`;
    return {
        name: `registry containers adopted on port ${t.port}`,
        read: `if command -v docker >/dev/null 2>&1; then echo "beside: $(${adoptable} | wc -l)"; else echo "beside: 0"; fi`,
        expected: "beside: 0",
        apply: [
            "command -v docker >/dev/null 2>&1 || exit 0",
            `mkdir -p ${dir}`,
            `${adoptable} | while read -r id name; do`,
            `  docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' "$id" > ${dir}/"$name" || exit 1`,
            `  docker update --restart=no "$id" >/dev/null && docker stop -t ${REGISTRY_STOP_SECONDS} "$id" >/dev/null || exit 1`,
            `  echo "adopted the container $name: stopped, restart policy no (destroy starts it again)" >&2`,
            "done",
        ].join("\n"),
        remove: [
            `for f in ${dir}/*; do`,
            '  [ -e "$f" ] || continue; name=${f##*/}',
            '  docker update --restart="$(cat "$f")" "$name" >/dev/null 2>&1 || true',
            '  docker start "$name" >/dev/null 2>&1 || echo "could not start the adopted container $name again" >&2',
            '  rm -f "$f"',
            "done",
            `rmdir ${dir} 2>/dev/null || true`,
        ].join("\n"),
    };
}
