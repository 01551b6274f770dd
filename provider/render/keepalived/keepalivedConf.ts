/**
 * keepalived.conf for one node, from a parsed cluster (defaults applied) and its plan. Deterministic: same input, same
 * bytes (scripts sorted by name, everything else in the order given), 2-space indent, trailing newline.
 * Secrets appear only as placeholders.
 */
import { OnpremError } from "../../contract/errors";
import { placeholder } from "../../contract/secrets";
import {
    HealthCheckSpec,
    MAINTENANCE_FLAG_PATH,
    MAINTENANCE_TRACK_FILE,
    ParsedKeepalived,
    ParsedRealServer,
    ParsedVirtualServer,
    ParsedVrrpInstance,
    leavesThroughFault,
} from "../../plan/keepalived/model";
import { InstancePlan, KeepalivedPlan } from "../../plan/keepalived/plan";
import { MANAGED_HEADER } from "../managedHeader";

/**
 * A flag of 1 times this takes any priority (254 at most) down to keepalived's floor of 1: the node
 * keeps sending adverts, so the next node takes over after its master-down interval and the VIPs are
 * never without a holder. Below -253 keepalived would go to FAULT instead.
 */
const MAINTENANCE_WEIGHT = -253;

/** The secret name of an instance's auth password, as in `{{secret:auth_VI_1}}`. */
export function authSecretName(instanceName: string): string {
    return `auth_${instanceName}`;
}

export function renderKeepalivedConf(spec: ParsedKeepalived, plan: KeepalivedPlan, nodeName: string): string {
    const nodePlan = plan.nodes[nodeName];
    if (!nodePlan) throw new OnpremError("Bug", `node ${JSON.stringify(nodeName)} is not in the keepalived plan`);

    const blocks: Block[] = [globalDefsBlock(spec, nodePlan.routerId), maintenanceTrackFileBlock()];
    for (const name of Object.keys(spec.scripts).sort()) blocks.push(vrrpScriptBlock(name, spec.scripts[name]));
    spec.instances.forEach((instance, i) => blocks.push(vrrpInstanceBlock(instance, nodePlan.instances[i])));
    for (const vs of spec.virtualServers) blocks.push(virtualServerBlock(vs));

    const out = [MANAGED_HEADER];
    for (const b of blocks) out.push("", ...emit(b, 0));
    return `${out.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------

interface Block {
    head: string;
    body: Line[];
}
type Line = string | Block;

const block = (head: string, body: Line[]): Block => ({ head, body });

function emit(b: Block, depth: number): string[] {
    const pad = "  ".repeat(depth);
    const lines = [`${pad}${b.head} {`];
    for (const line of b.body) {
        if (typeof line === "string") lines.push(`${pad}  ${line}`);
        else lines.push(...emit(line, depth + 1));
    }
    lines.push(`${pad}}`);
    return lines;
}

/** A command or path as keepalived's quoted string: backslash and double quote escaped. */
function quoted(text: string): string {
    return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function num(n: number): string {
    if (!Number.isFinite(n)) throw new OnpremError("Bug", `non-finite number ${n} reached the keepalived renderer`);
    return String(n);
}

/** `keyword value` when the value is set. */
function opt(keyword: string, value: string | number | undefined): string[] {
    if (value === undefined) return [];
    return [`${keyword} ${typeof value === "number" ? num(value) : value}`];
}

function flag(keyword: string, on: boolean | undefined): string[] {
    return on ? [keyword] : [];
}

function assertNever(value: never): never {
    throw new OnpremError("Bug", `unhandled case ${JSON.stringify(value)} in the keepalived renderer`);
}

// ---------------------------------------------------------------------------------------------

function globalDefsBlock(spec: ParsedKeepalived, routerId: string): Block {
    const g = spec.globalDefs;
    const emails = g.notificationEmails ?? [];
    return block("global_defs", [
        ...(emails.length > 0 ? [block("notification_email", emails)] : []),
        ...opt("notification_email_from", g.notificationEmailFrom),
        ...opt("smtp_server", g.smtpServer),
        ...opt("smtp_connect_timeout", g.smtpConnectTimeout),
        `router_id ${routerId}`,
        ...flag("vrrp_skip_check_adv_addr", g.vrrpSkipCheckAdvAddr),
        ...flag("vrrp_strict", g.vrrpStrict),
        ...opt("vrrp_garp_interval", g.vrrpGarpInterval),
        ...opt("vrrp_gna_interval", g.vrrpGnaInterval),
        ...opt("vrrp_mcast_group4", g.vrrpMcastGroup4),
        ...flag("enable_script_security", g.enableScriptSecurity),
        ...opt("script_user", spec.scriptUser),
    ]);
}

/** The maintenance flag every instance tracks (see `MAINTENANCE_FLAG_PATH`). */
function maintenanceTrackFileBlock(): Block {
    return block(`track_file ${MAINTENANCE_TRACK_FILE}`, [`file ${quoted(MAINTENANCE_FLAG_PATH)}`, `weight ${MAINTENANCE_WEIGHT}`]);
}

function vrrpScriptBlock(name: string, s: ParsedKeepalived["scripts"][string]): Block {
    return block(`vrrp_script ${name}`, [
        `script ${quoted(s.script)}`,
        ...opt("interval", s.interval),
        ...opt("timeout", s.timeout),
        ...opt("weight", s.weight),
        ...opt("fall", s.fall),
        ...opt("rise", s.rise),
        ...opt("user", s.user),
    ]);
}

function vrrpInstanceBlock(instance: ParsedVrrpInstance, p: InstancePlan): Block {
    const body: Line[] = [
        `state ${p.state}`,
        `interface ${p.interface}`,
        `virtual_router_id ${num(instance.virtualRouterId)}`,
        `priority ${num(p.priority)}`,
        `advert_int ${num(p.advertInt)}`,
        ...flag("nopreempt", !instance.preempt),
        ...opt("preempt_delay", instance.preemptDelay),
        ...opt("mcast_dst_ip", instance.unicast ? undefined : instance.mcastGroup),
    ];
    if (p.unicastSrcIp !== undefined) {
        body.push(`unicast_src_ip ${p.unicastSrcIp}`, block("unicast_peer", p.unicastPeers ?? []));
    }
    if (instance.auth) {
        body.push(block("authentication", [`auth_type ${instance.auth.type}`, `auth_pass ${placeholder(authSecretName(instance.name))}`]));
    }
    body.push(
        block(
            "virtual_ipaddress",
            instance.vips.map((vip) => [vip.address, ...opt("brd", vip.brd), ...opt("dev", vip.dev), ...opt("scope", vip.scope), ...opt("label", vip.label)].join(" ")),
        ),
    );
    if (instance.trackInterfaces.length > 0) {
        body.push(block("track_interface", instance.trackInterfaces.map((t) => [t.name, ...opt("weight", t.weight)].join(" "))));
    }
    if (instance.trackScripts.length > 0) {
        body.push(block("track_script", instance.trackScripts.map((t) => [t.name, ...opt("weight", t.weight)].join(" "))));
    }
    // Weight 0 means FAULT: a non-preempting backup would never take over from a lowered master, and
    // with preempt_delay only after the delay; FAULT sends a priority-0 advert, so it takes over at once.
    body.push(block("track_file", [`${MAINTENANCE_TRACK_FILE} weight ${leavesThroughFault(instance) ? 0 : MAINTENANCE_WEIGHT}`]));
    const notify = instance.notify;
    body.push(
        ...opt("notify_master", notify.master === undefined ? undefined : quoted(notify.master)),
        ...opt("notify_backup", notify.backup === undefined ? undefined : quoted(notify.backup)),
        ...opt("notify_fault", notify.fault === undefined ? undefined : quoted(notify.fault)),
        ...opt("notify_stop", notify.stop === undefined ? undefined : quoted(notify.stop)),
        ...opt("notify", notify.notify === undefined ? undefined : quoted(notify.notify)),
    );
    return block(`vrrp_instance ${instance.name}`, body);
}

function virtualServerBlock(vs: ParsedVirtualServer): Block {
    const sorry = vs.sorryServer;
    return block(`virtual_server ${vs.address} ${num(vs.port)}`, [
        ...opt("delay_loop", vs.delayLoop),
        `lvs_sched ${vs.lbAlgo}`,
        `lvs_method ${vs.lbKind}`,
        ...opt("persistence_timeout", vs.persistenceTimeout),
        `protocol ${vs.protocol}`,
        ...(sorry ? [[`sorry_server ${sorry.address}`, ...(sorry.port === undefined ? [] : [num(sorry.port)])].join(" ")] : []),
        ...vs.realServers.map(realServerBlock),
    ]);
}

function realServerBlock(rs: ParsedRealServer): Block {
    return block(`real_server ${rs.address} ${num(rs.port)}`, [
        `weight ${num(rs.weight)}`,
        ...(rs.check ? [checkBlock(rs.check)] : []),
    ]);
}

function checkBlock(check: HealthCheckSpec): Block {
    const retries = [...opt("retry", check.retry), ...opt("delay_before_retry", check.delayBeforeRetry)];
    switch (check.type) {
        case "HTTP_GET":
        case "SSL_GET":
            return block(check.type, [
                ...check.urls.map((url) =>
                    block("url", [`path ${url.path}`, ...opt("digest", url.digest), ...opt("status_code", url.statusCode)]),
                ),
                ...connectOptions(check),
                ...retries,
            ]);
        case "TCP_CHECK":
            return block(check.type, [...connectOptions(check), ...retries]);
        case "SMTP_CHECK":
            return block(check.type, [...connectOptions(check), ...retries, ...opt("helo_name", check.heloName)]);
        case "MISC_CHECK":
            return block(check.type, [
                `misc_path ${quoted(check.path)}`,
                ...opt("misc_timeout", check.timeout),
                ...flag("misc_dynamic", check.dynamic),
                ...opt("user", check.user),
                ...retries,
            ]);
        default:
            return assertNever(check);
    }
}

function connectOptions(check: Exclude<HealthCheckSpec, { type: "MISC_CHECK" }>): string[] {
    return [
        ...opt("connect_ip", check.connectIp),
        ...opt("connect_port", check.connectPort),
        ...opt("bindto", check.bindTo),
        ...opt("connect_timeout", check.connectTimeout),
    ];
}
