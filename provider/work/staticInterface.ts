/**
 * The OS's own checks of a static interface's staged files, as engine validators: each format's reader
 * is run on the staged copy before it replaces the live file.
 */
import type { CommandSpec } from "../contract/desired";
import { shellQuote as q } from "../contract/shell";
import type { StaticInterfaceSpec } from "../plan/staticInterfaceModel";
import { interfacesPath, netplanPath, staticInterfacePaths } from "./staticInterface";

export function staticInterfaceValidators(spec: Pick<StaticInterfaceSpec, "device" | "format">): CommandSpec[] {
    switch (spec.format) {
        case "interfaces":
            return [
                {
                    description: `ifupdown reads the stanzas (ifup --no-act ${spec.device})`,
                    // A private state dir: the dry run must not see (or touch) the host's ifstate.
                    command: `d=$(mktemp -d) && ifup --no-act --no-loopback --force -i {{staged:${interfacesPath(spec.device)}}} --state-dir="$d" ${q(spec.device)}; rc=$?; rm -rf "$d"; exit $rc`,
                },
            ];
        case "ifcfg":
            // network-scripts source ifcfg files: they must at least be valid sh.
            return [{ description: "ifcfg file is valid sh (sh -n)", command: `sh -n {{staged:${staticInterfacePaths(spec)[0]}}}` }];
        case "netplan":
            return [
                {
                    description: "netplan generates from it (netplan generate --root-dir)",
                    command: `command -v netplan >/dev/null || exit 0; d=$(mktemp -d) && mkdir -p "$d/etc/netplan" && cp {{staged:${netplanPath(spec.device)}}} "$d/etc/netplan/" && netplan generate --root-dir "$d"; rc=$?; rm -rf "$d"; exit $rc`,
                },
            ];
        case "networkmanager":
            // NetworkManager has no offline check of a single keyfile; it reads it on reload.
            return [];
    }
}
