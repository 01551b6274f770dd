/**
 * Carving the container network into per-host slices, and the Docker bridge addresses.
 *
 * The rule (seed 003 is its example):
 * - `containerNetwork` (172.17.0.0/16) is cut into equal slices of `hostPrefixLength` (/18), numbered
 *   from 0 by address: slice 0 = 172.17.0.0/18, slice 1 = 172.17.64.0/18, ...
 * - Slice 0 is reserved: it holds the bridge addresses and is never a host's slice. A host in slot N
 *   gets slice N as Docker's `fixed-cidr`, so at most 2^(hostPrefixLength - prefix) - 1 hosts fit.
 * - Bridge addresses come from `bridgeAddressBlock`, a CIDR inside slice 0 (default: slice 0 itself):
 *   slot N gets the block's N-th address, with the network's prefix length (all bridges share one L2
 *   segment through the tunnels). Seed 003: block 172.17.42.0/24, slots 1-3 -> 172.17.42.1-3/16.
 * - Slots: an explicit `slot` wins; else the slot the host had before (`previous`, persisted by the
 *   resource); else the lowest free slot, in host list order. Slots of hosts that are being removed in
 *   the same update are handed out only when nothing else is free, so a new host does not reuse a
 *   subnet whose containers may still be winding down.
 *
 * Why slots rather than list positions or name hashes: a slice must not move when another host comes
 * or goes. List positions move on every removal; name hashes collide and then depend on which other
 * names exist. A slot is chosen once and kept (state or an explicit pin), so nothing but the user's own
 * edit of `slot`, `containerNetwork`, `hostPrefixLength` or `bridgeAddressBlock` can move it.
 * Lowest-free also reproduces the hand-made numbering of seed 003 (host1 -> 1, host2 -> 2, host3 -> 3).
 */
import { IPv4, IPv4CidrRange, IPv4Prefix } from "ip-num";
import type { Issue } from "../../contract/issue";
import { hasPrefix, parseAddress, parseCidr, subnetText } from "../../model/address";

/** The container network and its slicing, once validated. */
interface ContainerLayout {
    network: IPv4CidrRange;
    prefix: number;
    hostPrefixLength: number;
    /** The highest usable slot (slot 0 is reserved). */
    maxSlot: number;
    /** Slice 0. */
    reserved: IPv4CidrRange;
    /** Where bridge addresses come from. */
    bridgeBlock: IPv4CidrRange;
}

/** The longest slice prefix: a /30 still leaves Docker two addresses to hand out. */
const MAX_HOST_PREFIX_LENGTH = 30;

/** Parses and checks `containerNetwork`, `hostPrefixLength` and `bridgeAddressBlock`. */
function containerLayout(
    containerNetwork: string,
    hostPrefixLength: number,
    bridgeAddressBlock?: string,
): { layout?: ContainerLayout; issues: Issue[] } {
    const issues: Issue[] = [];
    const network = parseIpv4Cidr("containerNetwork", containerNetwork, issues);
    if (!network) return { issues };
    const prefix = Number(network.getPrefix().getValue());
    if (!Number.isInteger(hostPrefixLength) || hostPrefixLength <= prefix || hostPrefixLength > MAX_HOST_PREFIX_LENGTH) {
        issues.push(
            issue(
                "hostPrefixLength",
                `${hostPrefixLength} must be an integer longer than the container network's /${prefix} and at most ${MAX_HOST_PREFIX_LENGTH}`,
            ),
        );
        return { issues };
    }
    const sliceSize = IPv4Prefix.fromNumber(BigInt(hostPrefixLength)).toRangeSize();
    const maxSlot = Number(network.getSize() / sliceSize) - 1;
    const reserved = sliceAt(network, hostPrefixLength, 0);
    let bridgeBlock = reserved;
    if (bridgeAddressBlock !== undefined) {
        const block = parseIpv4Cidr("bridgeAddressBlock", bridgeAddressBlock, issues);
        if (!block) return { issues };
        if (!block.inside(reserved) && !block.isEquals(reserved)) {
            issues.push(
                issue(
                    "bridgeAddressBlock",
                    `${block.toCidrString()} must lie inside ${reserved.toCidrString()}, slice 0 of ${network.toCidrString()}, which no host's containers use`,
                ),
            );
            return { issues };
        }
        bridgeBlock = block;
    }
    return { layout: { network, prefix, hostPrefixLength, maxSlot, reserved, bridgeBlock }, issues };
}

function parseIpv4Cidr(field: string, text: string, issues: Issue[]): IPv4CidrRange | undefined {
    const parsed = parseCidr(text);
    if (!parsed || parsed.family !== 4) {
        issues.push(issue(field, `${JSON.stringify(text)} is not an IPv4 CIDR such as "172.17.0.0/16"`));
        return undefined;
    }
    if (parsed.cidr !== parsed.network) {
        // The first address of the range is the network the user likely meant.
        issues.push(issue(field, `${JSON.stringify(text)} has host bits set: did you mean "${parsed.network}"?`));
        return undefined;
    }
    return parsed.subnet as IPv4CidrRange;
}

/** Slice `slot` of the network. */
function sliceAt(network: IPv4CidrRange, hostPrefixLength: number, slot: number): IPv4CidrRange {
    // By arithmetic: ip-num's range sets cost a millisecond a call, and a mesh asks once per host.
    const prefix = IPv4Prefix.fromNumber(BigInt(hostPrefixLength));
    return new IPv4CidrRange(IPv4.fromNumber(network.getFirst().getValue() + BigInt(slot) * prefix.toRangeSize()), prefix);
}

/** The bridge address a slot gets from the block, or undefined when the block is too small for it. */
function derivedBridgeAddress(layout: ContainerLayout, slot: number): IPv4 | undefined {
    if (BigInt(slot) >= layout.bridgeBlock.getSize()) return undefined;
    return IPv4.fromNumber(layout.bridgeBlock.getFirst().getValue() + BigInt(slot));
}

/** What slot assignment needs to know about a host. */
export interface SlotRequest {
    /** The host's name: what its slot is kept under. */
    name: string;
    /** A slot fixed by the user (1 and up). Default: kept from last time, else the lowest free one. */
    slot?: number;
}

export interface SlotAssignment {
    /** Host name -> slot, for every host that got one. */
    slots: Map<string, number>;
    issues: Issue[];
    notes: string[];
    /** Hosts left without a slot because every slot is taken. */
    unplaced: string[];
}

/** Gives every host a slot: explicit, else kept from `previous`, else the lowest free one (see the top of this file). */
export function assignSlots(hosts: readonly SlotRequest[], maxSlot: number, previous: Readonly<Record<string, number>> = {}): SlotAssignment {
    const issues: Issue[] = [];
    const notes: string[] = [];
    const unplaced: string[] = [];
    const slots = new Map<string, number>();
    const holder = new Map<number, number>(); // slot -> index of the host holding it

    hosts.forEach((h, i) => {
        if (h.slot === undefined) return;
        const field = `hosts[${i}].slot`;
        if (!Number.isInteger(h.slot) || h.slot < 1 || h.slot > maxSlot) {
            issues.push(issue(field, `${h.slot} is outside 1-${maxSlot} (slot 0 is reserved for bridge addresses)`));
            return;
        }
        const other = holder.get(h.slot);
        if (other !== undefined) {
            issues.push(issue(field, `slot ${h.slot} is also set on hosts[${other}] ${JSON.stringify(hosts[other].name)}`));
            return;
        }
        holder.set(h.slot, i);
        slots.set(h.name, h.slot);
    });

    const names = new Set(hosts.map((h) => h.name));
    hosts.forEach((h, i) => {
        if (h.slot !== undefined || !Object.prototype.hasOwnProperty.call(previous, h.name)) return;
        const kept = previous[h.name];
        if (!Number.isInteger(kept) || kept < 1 || kept > maxSlot) {
            notes.push(`host ${JSON.stringify(h.name)}: its earlier slot ${kept} no longer fits (1-${maxSlot}); it gets a new slot and subnet`);
            return;
        }
        const other = holder.get(kept);
        if (other !== undefined) {
            const by = hosts[other];
            if (by.slot === kept) {
                issues.push(
                    issue(
                        `hosts[${other}].slot`,
                        `slot ${kept} already belongs to host ${JSON.stringify(h.name)} (assigned earlier); taking it would move that host's containers to another subnet: pick a free slot, or pin ${JSON.stringify(h.name)} to another slot explicitly`,
                    ),
                );
            } else {
                notes.push(`hosts ${JSON.stringify(by.name)} and ${JSON.stringify(h.name)} both held slot ${kept} before; ${JSON.stringify(h.name)} gets a new one`);
            }
            return;
        }
        holder.set(kept, i);
        slots.set(h.name, kept);
    });

    // Slots of hosts leaving in this update: reused only as a last resort, lowest first.
    const leaving = new Set<number>();
    for (const [name, slot] of Object.entries(previous)) {
        if (!names.has(name) && Number.isInteger(slot) && slot >= 1 && slot <= maxSlot && !holder.has(slot)) leaving.add(slot);
    }
    const lastResort = [...leaving].sort((a, b) => a - b);
    let next = 1;
    let reused = 0;
    hosts.forEach((h, i) => {
        if (slots.has(h.name) || h.slot !== undefined) return;
        while (next <= maxSlot && (holder.has(next) || leaving.has(next))) next++;
        let slot: number | undefined = next <= maxSlot ? next : undefined;
        if (slot === undefined) {
            while (reused < lastResort.length && holder.has(lastResort[reused])) reused++;
            slot = lastResort[reused];
            if (slot !== undefined) {
                reused++;
                notes.push(`host ${JSON.stringify(h.name)} reuses slot ${slot} of a host removed in this same update: make sure that host's containers are gone`);
            }
        }
        if (slot === undefined) {
            unplaced.push(h.name);
            return;
        }
        holder.set(slot, i);
        slots.set(h.name, slot);
    });
    return { slots, issues, notes, unplaced };
}

/** One host's subnet plan. */
export interface HostSubnet {
    slot: number;
    /** e.g. "172.17.64.0/18". */
    slice: string;
    /** e.g. "172.17.42.1/16". */
    bridgeAddress: string;
}

export interface SubnetPlan {
    hosts: Map<string, HostSubnet>;
    slots: Record<string, number>;
    issues: Issue[];
    notes: string[];
}

/** What subnet planning needs to know about a host. */
export interface SubnetHost extends SlotRequest {
    bridgeAddress?: string;
}

/** Slots, slices and bridge addresses for every host; issues name the field at fault. */
export function planSubnets(
    input: { containerNetwork: string; hostPrefixLength: number; bridgeAddressBlock?: string; hosts: readonly SubnetHost[] },
    previous: Readonly<Record<string, number>> = {},
): SubnetPlan {
    const out: SubnetPlan = { hosts: new Map(), slots: {}, issues: [], notes: [] };
    const { layout, issues } = containerLayout(input.containerNetwork, input.hostPrefixLength, input.bridgeAddressBlock);
    out.issues.push(...issues);
    if (!layout) return out;
    const assigned = assignSlots(input.hosts, layout.maxSlot, previous);
    out.notes.push(...assigned.notes);
    out.issues.push(...assigned.issues);
    if (assigned.unplaced.length > 0) {
        out.issues.push(
            issue(
                "containerNetwork",
                `${layout.network.toCidrString()} in /${layout.hostPrefixLength} slices holds ${layout.maxSlot} hosts (slice 0 is reserved for bridge addresses); ${input.hosts.length} are declared: use a larger network or a longer hostPrefixLength`,
            ),
        );
    }

    const slices = new Map<string, IPv4CidrRange>();
    const slotHolder = new Map<number, string>();
    for (const h of input.hosts) {
        const slot = assigned.slots.get(h.name);
        if (slot === undefined) continue;
        slices.set(h.name, sliceAt(layout.network, layout.hostPrefixLength, slot));
        slotHolder.set(slot, h.name);
    }

    // Derived addresses first, so an explicit one that collides with a derived one is the one blamed.
    const addressOwner = new Map<string, string>();
    const addresses = new Map<string, IPv4>();
    input.hosts.forEach((h) => {
        const slot = assigned.slots.get(h.name);
        if (h.bridgeAddress !== undefined || slot === undefined) return;
        const ip = derivedBridgeAddress(layout, slot);
        if (!ip) {
            out.issues.push(
                issue(
                    "bridgeAddressBlock",
                    `${layout.bridgeBlock.toCidrString()} has no address for slot ${slot} of host ${JSON.stringify(h.name)}; use a larger block or give the host a bridgeAddress`,
                ),
            );
            return;
        }
        addresses.set(h.name, ip);
        addressOwner.set(ip.toString(), h.name);
    });
    input.hosts.forEach((h, i) => {
        if (h.bridgeAddress === undefined) return;
        const ip = explicitBridgeAddress(`hosts[${i}].bridgeAddress`, h.bridgeAddress, h.name, layout, slotHolder, out.issues);
        if (!ip) return;
        const owner = addressOwner.get(ip.toString());
        if (owner !== undefined) {
            out.issues.push(issue(`hosts[${i}].bridgeAddress`, `${ip.toString()} is also host ${JSON.stringify(owner)}'s bridge address`));
            return;
        }
        addresses.set(h.name, ip);
        addressOwner.set(ip.toString(), h.name);
    });

    for (const h of input.hosts) {
        const slot = assigned.slots.get(h.name);
        const slice = slices.get(h.name);
        const ip = addresses.get(h.name);
        if (slot === undefined || !slice || !ip) continue;
        out.hosts.set(h.name, { slot, slice: slice.toCidrString(), bridgeAddress: `${ip.toString()}/${layout.prefix}` });
        out.slots[h.name] = slot;
    }
    return out;
}

function explicitBridgeAddress(
    field: string,
    text: string,
    name: string,
    layout: ContainerLayout,
    slotHolder: ReadonlyMap<number, string>,
    issues: Issue[],
): IPv4 | undefined {
    const parsed = parseAddress(text);
    if (!parsed || parsed.family !== 4) {
        issues.push(issue(field, `${JSON.stringify(text)} is not an IPv4 address`));
        return undefined;
    }
    if (hasPrefix(parsed) && parsed.prefix !== layout.prefix) {
        issues.push(issue(field, `/${parsed.prefix} differs from the container network's /${layout.prefix}: every bridge is on the one shared segment`));
        return undefined;
    }
    const ip = parsed.ip as IPv4;
    const network = subnetText(layout.network);
    if (!layout.network.contains(ip)) {
        issues.push(issue(field, `${parsed.address} is outside the container network ${network}`));
        return undefined;
    }
    if (ip.isEquals(layout.network.getFirst()) || ip.isEquals(layout.network.getLast())) {
        issues.push(issue(field, `${parsed.address} is the network or broadcast address of ${network}`));
        return undefined;
    }
    // The slice the address falls in, by arithmetic: one look-up, whatever the number of hosts.
    const sliceSize = IPv4Prefix.fromNumber(BigInt(layout.hostPrefixLength)).toRangeSize();
    const slot = Number((ip.getValue() - layout.network.getFirst().getValue()) / sliceSize);
    const other = slotHolder.get(slot);
    if (other !== undefined && other !== name) {
        const slice = sliceAt(layout.network, layout.hostPrefixLength, slot).toCidrString();
        issues.push(issue(field, `${parsed.address} lies in host ${JSON.stringify(other)}'s slice ${slice}, where its Docker hands out container addresses`));
        return undefined;
    }
    return ip;
}

/** The highest slot the container network holds; 0 when it is broken (the validator names the field). */
export function slotCapacity(containerNetwork: string, hostPrefixLength: number, bridgeAddressBlock?: string): number {
    return containerLayout(containerNetwork, hostPrefixLength, bridgeAddressBlock).layout?.maxSlot ?? 0;
}

function issue(field: string, text: string): Issue {
    return { field, message: `\`${field}\`: ${text}` };
}
