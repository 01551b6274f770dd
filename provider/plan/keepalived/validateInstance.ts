/** The rules of one `vrrp_instance`: its identity, VIPs, priorities, authentication, adverts and trackers. */
import { isPortableName } from "../../contract/inputRules";
import { IpFamily, parseAddress, parseIp, subnetContains } from "../../model/address";
import { familyName, instanceFamily, nodeCidr } from "./addresses";
import { KeepalivedClusterSpec, VrrpInstanceSpec, trackScriptOf, vipOf } from "./model";
import { Add, NOT_AN_INTERFACE, NOT_A_NAME, isCommand, isInt, isInterfaceName, isWeight, isWord, q } from "./rules";

const VIP_SCOPES = ["global", "site", "link", "host", "nowhere"];
const VIP_LABEL = /^[A-Za-z0-9_.:@-]{1,15}$/;
/** Derived priorities step down from 100 by at least 1. */
const MAX_NODES_FOR_DERIVED_PRIORITIES = 100;

export function validateInstance(spec: KeepalivedClusterSpec, instance: VrrpInstanceSpec, i: number, add: Add): void {
    const at = `instances[${i}]`;
    const nodes = spec.nodes ?? [];
    const strict = spec.globalDefs?.vrrpStrict === true;

    if (!isPortableName(instance.name)) {
        add(`${at}.name`, `${q(String(instance.name))} ${NOT_A_NAME}`);
    } else {
        const first = spec.instances.findIndex((other) => other.name === instance.name);
        if (first < i) add(`${at}.name`, `${q(instance.name)} is already the name of instances[${first}]`);
    }
    if (!(isInt(instance.virtualRouterId) && instance.virtualRouterId >= 1 && instance.virtualRouterId <= 255)) {
        add(`${at}.virtualRouterId`, `${instance.virtualRouterId} is outside 1-255`);
    }
    if (instance.interface !== undefined && !isInterfaceName(instance.interface)) add(`${at}.interface`, `${q(instance.interface)} ${NOT_AN_INTERFACE}`);
    // Unset (or null) takes the default, which passes.
    const advertInt = instance.advertInt;
    if (advertInt !== undefined && advertInt !== null && !(isInt(advertInt) && advertInt >= 1 && advertInt <= 255)) {
        add(`${at}.advertInt`, `${advertInt} is not a whole number of seconds from 1 to 255 (VRRPv2 adverts are whole seconds)`);
    }

    validateVips(spec, instance, at, add);
    validatePriorities(instance, at, nodes.map((n) => n.name), add);

    if (instance.preemptDelay !== undefined) {
        if (!(typeof instance.preemptDelay === "number" && instance.preemptDelay >= 0 && instance.preemptDelay <= 1000)) {
            add(`${at}.preemptDelay`, `${instance.preemptDelay} is outside 0-1000 seconds`);
        } else if (instance.preempt === false) {
            add(`${at}.preemptDelay`, "has no effect with `preempt: false` (nopreempt); set one or the other");
        } else if (strict) {
            add(`${at}.preemptDelay`, "is not allowed with `globalDefs.vrrpStrict` (keepalived resets it in strict mode)");
        }
    }

    if (instance.auth !== undefined) {
        if (instance.auth.type !== "PASS" && instance.auth.type !== "AH") add(`${at}.auth.type`, `${q(String(instance.auth.type))} is not PASS or AH`);
        // Never the password itself in a message: only its length.
        const password = instance.auth.password;
        if (typeof password !== "string" || password.length === 0) {
            add(`${at}.auth.password`, "must not be empty");
        } else if (password.length > 8) {
            add(`${at}.auth.password`, `${password.length} characters is more than 8 (keepalived uses only the first 8)`);
        } else if (!isWord(password)) {
            add(`${at}.auth.password`, "contains a character keepalived's parser treats specially (whitespace, quotes, braces, # ! \\ or $)");
        }
        if (strict) add(`${at}.auth`, "is not allowed with `globalDefs.vrrpStrict` (strict mode ignores authentication)");
    }

    const family = instanceFamily(instance);
    if (instance.unicast) {
        if (strict) add(`${at}.unicast`, "is not allowed with `globalDefs.vrrpStrict` (strict VRRP forbids unicast peers)");
        if (instance.mcastGroup !== undefined) add(`${at}.mcastGroup`, "cannot be set together with `unicast`");
        nodes.forEach((node) => {
            const address = parseAddress(node.address);
            if (family && address && address.family !== family) {
                add(`${at}.unicast`, `node ${node.name}'s address ${address.address} is ${familyName(address.family)} but the VIPs are ${familyName(family)}`);
            }
        });
    } else if (instance.mcastGroup !== undefined) {
        const group = parseIp(instance.mcastGroup);
        if (!group || !group.ip.isMulticast() || (family && group.family !== family)) {
            add(`${at}.mcastGroup`, `${q(instance.mcastGroup)} is not a multicast address of the VIPs' family`);
        }
    }

    (instance.trackScripts ?? []).forEach((ref, t) => {
        const { name, weight } = trackScriptOf(ref);
        const field = typeof ref === "string" ? `${at}.trackScripts[${t}]` : `${at}.trackScripts[${t}].name`;
        if (!spec.scripts || !Object.prototype.hasOwnProperty.call(spec.scripts, name)) add(field, `no script named ${q(name)} in \`scripts\``);
        if (weight !== undefined && !isWeight(weight)) add(`${at}.trackScripts[${t}].weight`, `${weight} is outside -253..253`);
    });

    (instance.trackInterfaces ?? []).forEach((track, t) => {
        if (!isInterfaceName(track.name)) {
            add(`${at}.trackInterfaces[${t}].name`, `${q(String(track.name))} ${NOT_AN_INTERFACE}`);
        } else {
            const own = nodes.find((node) => (instance.interface ?? node.interface) === track.name);
            if (own) add(`${at}.trackInterfaces[${t}].name`, `${track.name} is the instance's own interface on ${own.name} (keepalived ignores it and its config test fails)`);
        }
        if (track.weight !== undefined && !isWeight(track.weight)) add(`${at}.trackInterfaces[${t}].weight`, `${track.weight} is outside -253..253`);
    });

    for (const [key, command] of Object.entries(instance.notify ?? {})) {
        if (command !== undefined && !isCommand(command)) {
            add(`${at}.notify.${key}`, `${q(String(command))} must start with an absolute path (and hold no control characters)`);
        }
    }
}

function validateVips(spec: KeepalivedClusterSpec, instance: VrrpInstanceSpec, at: string, add: Add): void {
    const vips = Array.isArray(instance.vips) ? instance.vips : [];
    if (vips.length === 0) {
        add(`${at}.vips`, "at least one VIP is needed");
        return;
    }
    const families = new Set<IpFamily>();
    vips.forEach((raw, k) => {
        const vip = vipOf(raw);
        const field = typeof raw === "string" ? `${at}.vips[${k}]` : `${at}.vips[${k}].address`;
        const address = parseAddress(vip.address);
        if (!address) {
            add(field, `${q(String(vip.address))} is not an IP address (bare or CIDR)`);
            return;
        }
        families.add(address.family);
        for (const node of spec.nodes ?? []) {
            if (parseAddress(node.address)?.address === address.address) add(field, `${address.address} is node ${node.name}'s own address`);
        }
        if (!instance.allowVipOutsideSubnet) {
            for (const node of spec.nodes ?? []) {
                // Only the node's VRRP interface has a known subnet; VIPs placed elsewhere are not checked.
                const iface = instance.interface ?? node.interface;
                if (iface !== node.interface || (vip.dev !== undefined && vip.dev !== iface)) continue;
                const cidr = nodeCidr(node);
                // An IPv4 subnet says nothing about where an IPv6 VIP belongs, and the reverse.
                if (cidr && cidr.family === address.family && !subnetContains(cidr.subnet, address.ip)) {
                    add(field, `${address.address} is outside ${node.name}'s ${iface} subnet ${cidr.network} (set \`allowVipOutsideSubnet\` if that is intended)`);
                    break;
                }
            }
        }
        if (typeof raw !== "string") {
            if (vip.dev !== undefined && !isInterfaceName(vip.dev)) add(`${at}.vips[${k}].dev`, `${q(vip.dev)} ${NOT_AN_INTERFACE}`);
            if (vip.label !== undefined && !VIP_LABEL.test(vip.label)) add(`${at}.vips[${k}].label`, `${q(vip.label)} is not a label (1-15 characters, like "eth0:1")`);
            if (vip.scope !== undefined && !VIP_SCOPES.includes(vip.scope)) add(`${at}.vips[${k}].scope`, `${q(String(vip.scope))} is not one of ${VIP_SCOPES.join(", ")}`);
            if (vip.brd !== undefined) {
                const brd = parseIp(vip.brd);
                if (!brd || brd.family !== 4 || address.family !== 4) add(`${at}.vips[${k}].brd`, `${q(vip.brd)} is not an IPv4 broadcast address for an IPv4 VIP`);
            }
        }
    });
    if (families.size > 1) add(`${at}.vips`, "mixes IPv4 and IPv6 addresses (keepalived needs one family per instance)");
}

function validatePriorities(instance: VrrpInstanceSpec, at: string, nodeNames: string[], add: Add): void {
    if (instance.master !== undefined && instance.priorities !== undefined) {
        add(`${at}.master`, "cannot be set together with `priorities` (the highest priority is the master)");
        return;
    }
    if (instance.master !== undefined && !nodeNames.includes(instance.master)) {
        add(`${at}.master`, `${q(String(instance.master))} is not in \`nodes\` (${nodeNames.join(", ")})`);
    }
    if (instance.priorities === undefined) {
        if (nodeNames.length > MAX_NODES_FOR_DERIVED_PRIORITIES) add(`${at}.priorities`, `must be given for more than ${MAX_NODES_FOR_DERIVED_PRIORITIES} nodes`);
        return;
    }
    const seen = new Map<number, string>();
    for (const [name, priority] of Object.entries(instance.priorities)) {
        const field = `${at}.priorities.${name}`;
        if (!nodeNames.includes(name)) add(field, `no node is named ${q(name)}`);
        if (!(isInt(priority) && priority >= 1 && priority <= 254)) {
            add(field, `${priority} is outside 1-254`);
        } else if (seen.has(priority)) {
            add(field, `${priority} equals ${seen.get(priority)}'s; priorities within an instance must differ`);
        } else {
            seen.set(priority, name);
        }
    }
    const missing = nodeNames.filter((name) => !Object.prototype.hasOwnProperty.call(instance.priorities, name));
    if (missing.length > 0) add(`${at}.priorities`, `has no priority for ${missing.join(", ")}`);
}
