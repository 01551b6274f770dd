/**
 * NetworkManager keyfiles (RHEL 9 and later, Fedora). With no address of a family, IPv6 is left to the
 * kernel's defaults (link-local stays) but IPv4 is disabled: no DHCP on a static interface.
 */
import { createHash } from "node:crypto";
import { IpFamily, parseIp } from "../../model/address";
import type { ResolvedStaticInterface } from "../../plan/staticInterface/model";
import { MANAGED_HEADER } from "../managedHeader";

const NM_CONNECTIONS_DIR = "/etc/NetworkManager/system-connections";
/** The UUID namespace for NetworkManager connection UUIDs derived from device names (RFC 4122 version 5). */
const NM_UUID_NAMESPACE = "8c1f4a52-3d6e-4b0f-a7c9-5e2d1b6f9a34";

export function nmConnectionId(device: string): string {
    return `pulumi-onprem-${device}`;
}

export function nmConnectionPath(device: string): string {
    return `${NM_CONNECTIONS_DIR}/${nmConnectionId(device)}.nmconnection`;
}

export function renderNmKeyfile(r: ResolvedStaticInterface): string {
    const sections: string[][] = [
        [
            "[connection]",
            `id=${nmConnectionId(r.device)}`,
            `uuid=${nmConnectionUuid(r.device)}`,
            "type=ethernet",
            `interface-name=${r.device}`,
            `autoconnect=${r.onBoot ? "true" : "false"}`,
        ],
        [
            "[ethernet]",
            ...(r.macAddress !== undefined ? [`mac-address=${r.macAddress}`] : []),
            ...(r.mtu !== undefined ? [`mtu=${r.mtu}`] : []),
        ],
    ];
    // Search domains go with the first family that has addresses: NetworkManager keeps them per family.
    const searchFamily: IpFamily = r.ipv4.length > 0 ? 4 : 6;
    for (const family of [4, 6] as const) {
        const addresses = family === 4 ? r.ipv4 : r.ipv6;
        const section = [family === 4 ? "[ipv4]" : "[ipv6]"];
        if (addresses.length === 0) {
            section.push(`method=${family === 4 ? "disabled" : "ignore"}`);
            sections.push(section);
            continue;
        }
        section.push("method=manual");
        addresses.forEach((a, i) => section.push(`address${i + 1}=${a.cidr}`));
        const gateway = r.routes.find((x) => x.family === family && x.destination === "default");
        if (gateway?.via !== undefined) section.push(`gateway=${gateway.via}`);
        const dns = r.dns.filter((d) => parseIp(d)?.family === family);
        if (dns.length > 0) section.push(`dns=${dns.map((d) => `${d};`).join("")}`);
        if (family === searchFamily && r.searchDomains.length > 0) section.push(`dns-search=${r.searchDomains.map((d) => `${d};`).join("")}`);
        r.routes
            .filter((x) => x.family === family && x.destination !== "default")
            .forEach((route, i) => {
                const fields = [route.destination, route.via ?? "", route.metric === undefined ? "" : String(route.metric)];
                while (fields[fields.length - 1] === "") fields.pop();
                section.push(`route${i + 1}=${fields.join(",")}`);
                if (route.table !== undefined) section.push(`route${i + 1}_options=table=${route.table}`);
            });
        sections.push(section);
    }
    return `${[`${MANAGED_HEADER}\n${sections[0].join("\n")}`, ...sections.slice(1).map((x) => x.join("\n"))].join("\n\n")}\n`;
}

/** A version 5 UUID of the device name: the same connection keeps its UUID across renders. */
export function nmConnectionUuid(device: string): string {
    const namespace = Buffer.from(NM_UUID_NAMESPACE.replace(/-/g, ""), "hex");
    const bytes = createHash("sha1").update(Buffer.concat([namespace, Buffer.from(device, "utf8")])).digest().subarray(0, 16);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = bytes.toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
