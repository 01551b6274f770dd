/**
 * The container network's layout read back from the hosts: the network (the Docker bridges' shared
 * prefix), each host's slice (Docker's fixed-cidr) and so its slot, and the bridge address block, with
 * a host's slot or bridge address given only where plan/ovs/subnets.ts would not derive it. Pure; all
 * arithmetic on ip-num.
 */
import { IPv4, IPv4CidrRange, IPv4Prefix } from "ip-num";
import { parseCidr, type ParsedCidr } from "../model/address";
import { assignSlots, slotCapacity } from "../plan/ovs/subnets";
import type { Say } from "./ovsMeshNotes";

/** What the layout needs of one host. */
export interface LayoutHost {
    name: string;
    /** The Docker bridge's address with its prefix. */
    bridgeCidr?: ParsedCidr;
    /** Docker's fixed-cidr, as written. */
    fixedCidr?: string;
}

/** The layout as args: hosts in slot order (hosts without a slot last), slot and address only where needed. */
export interface Layout {
    containerNetwork?: string;
    hostPrefixLength?: number;
    bridgeAddressBlock?: string;
    hosts: { name: string; slot?: number; bridgeAddress?: string }[];
}

/** The widest bridge address block the importer proposes: room for 255 hosts, and what operators write (seed 003). */
const BLOCK_PREFIX = 24;

/** Reads the layout; what does not fit the planner's rule is said and left to the defaults. */
export function readLayout(hosts: readonly LayoutHost[], say: Say): Layout {
    const unexpressed = (host: string, subject: string, why: string) => say({ host, kind: "unexpressed", subject, why });
    const v4 = hosts.filter((h) => {
        if (h.bridgeCidr === undefined) unexpressed(h.name, "Docker bridge address", "none found; the mesh gives the default one");
        else if (h.bridgeCidr.family !== 4) unexpressed(h.name, `Docker bridge address ${h.bridgeCidr.cidr}`, "the mesh's container network is IPv4");
        else return true;
        return false;
    });
    const first = v4[0]?.bridgeCidr;
    if (first === undefined) return { hosts: hosts.map((h) => ({ name: h.name })) };
    const network = first.subnet as IPv4CidrRange;
    const addresses = new Map<string, IPv4>();
    for (const h of v4) {
        const cidr = h.bridgeCidr as ParsedCidr;
        if (cidr.network === first.network) addresses.set(h.name, cidr.ip as IPv4);
        else unexpressed(h.name, `Docker bridge address ${cidr.cidr}`, `its network ${cidr.network} is not ${first.network}, the other bridges' (one shared segment)`);
    }

    // Slices: one prefix length for all, inside the network, never slice 0.
    const slots = new Map<string, number>();
    let hostPrefixLength: number | undefined;
    const holder = new Map<number, string>();
    for (const h of hosts) {
        if (h.fixedCidr === undefined) continue;
        const fixed = parseCidr(h.fixedCidr);
        const what = `fixed-cidr ${h.fixedCidr}`;
        if (!fixed || fixed.family !== 4 || !network.contains(fixed.ip) || fixed.prefix <= first.prefix) {
            unexpressed(h.name, what, `not a slice of the container network ${first.network}`);
            continue;
        }
        hostPrefixLength ??= fixed.prefix;
        if (fixed.prefix !== hostPrefixLength) {
            unexpressed(h.name, what, `/${fixed.prefix} differs from the other hosts' /${hostPrefixLength} (one hostPrefixLength for the mesh)`);
            continue;
        }
        const size = IPv4Prefix.fromNumber(BigInt(hostPrefixLength)).toRangeSize();
        const slot = Number((fixed.subnet.getFirst().getValue() - network.getFirst().getValue()) / size);
        if (slot === 0) unexpressed(h.name, what, `slice 0 of ${first.network}, which the mesh keeps for bridge addresses`);
        else if (holder.has(slot)) unexpressed(h.name, what, `also host ${JSON.stringify(holder.get(slot))}'s slice`);
        else {
            holder.set(slot, h.name);
            slots.set(h.name, slot);
        }
    }
    const ordered = [...hosts].sort((a, b) => (slots.get(a.name) ?? Infinity) - (slots.get(b.name) ?? Infinity));
    if (hostPrefixLength === undefined) {
        say({ kind: "unexpressed", subject: "hostPrefixLength", why: "no host has a fixed-cidr to read it from; slots and slices come from the defaults" });
        return { containerNetwork: first.network, hosts: ordered.map((h) => ({ name: h.name, bridgeAddress: addresses.get(h.name)?.toString() })) };
    }

    const block = bridgeBlock(network, hostPrefixLength, slots, addresses);
    const base = block?.getFirst().getValue();
    const maxSlot = slotCapacity(first.network, hostPrefixLength, block?.toCidrString());
    const defaults = assignSlots(
        ordered.map((h) => ({ name: h.name })),
        maxSlot,
    ).slots;
    // Pins only when the defaults (lowest free slot, in this order) would not give every host its slot.
    const pin = [...slots].some(([name, slot]) => defaults.get(name) !== slot);
    const reserved = network.getFirst().getValue();
    return {
        containerNetwork: first.network,
        hostPrefixLength,
        ...(block && base !== reserved ? { bridgeAddressBlock: block.toCidrString() } : {}),
        hosts: ordered.map((h) => {
            const slot = slots.get(h.name);
            const ip = addresses.get(h.name);
            const derived = slot !== undefined && base !== undefined ? base + BigInt(slot) : undefined;
            return {
                name: h.name,
                ...(pin && slot !== undefined ? { slot } : {}),
                ...(ip !== undefined && ip.getValue() !== derived ? { bridgeAddress: ip.toString() } : {}),
            };
        }),
    };
}

/**
 * The block most hosts' bridge addresses come from as its slot-th address: the widest aligned block, up to
 * a /24, that starts there, lies inside slice 0 and holds every slot; undefined when none does.
 */
function bridgeBlock(network: IPv4CidrRange, hostPrefixLength: number, slots: ReadonlyMap<string, number>, addresses: ReadonlyMap<string, IPv4>): IPv4CidrRange | undefined {
    const votes = new Map<bigint, number>();
    for (const [name, slot] of [...slots].sort((a, b) => a[1] - b[1])) {
        const ip = addresses.get(name);
        if (ip !== undefined && ip.getValue() >= BigInt(slot)) {
            const base = ip.getValue() - BigInt(slot);
            votes.set(base, (votes.get(base) ?? 0) + 1);
        }
    }
    // The most voted base; Map order (lowest slot first) breaks ties.
    const base = [...votes].reduce<[bigint, number] | undefined>((best, v) => (best === undefined || v[1] > best[1] ? v : best), undefined)?.[0];
    if (base === undefined) return undefined;
    const sliceStart = network.getFirst().getValue();
    const sliceEnd = sliceStart + IPv4Prefix.fromNumber(BigInt(hostPrefixLength)).toRangeSize();
    const maxSlot = BigInt(Math.max(...slots.values()));
    const prefixes = [...range(BLOCK_PREFIX, hostPrefixLength, -1), ...range(BLOCK_PREFIX + 1, 32, 1)];
    for (const p of prefixes) {
        const prefix = IPv4Prefix.fromNumber(BigInt(p));
        const size = prefix.toRangeSize();
        if (base % size === 0n && base >= sliceStart && base + size <= sliceEnd && maxSlot < size) return new IPv4CidrRange(IPv4.fromNumber(base), prefix);
    }
    return undefined;
}

/** from, from+step, ... up to and including to; empty when to lies the other way. */
function range(from: number, to: number, step: 1 | -1): number[] {
    const out: number[] = [];
    for (let p = from; step > 0 ? p <= to : p >= to; p += step) out.push(p);
    return out;
}
