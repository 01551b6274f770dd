/**
 * One node's virtual_server blocks (LVS) read into KeepalivedCluster's virtual servers: their real servers
 * and health checks. Every statement it cannot carry over is dropped with the reason. Pure.
 */
import { parseAddress } from "../model/address";
import type { RealServerArgs } from "../plan/keepalived/args";
import type { HealthCheckSpec, VirtualServerSpec } from "../plan/keepalived/model";
import type { Unwrap } from "@pulumi/pulumi/output";
import type { ConfStatement } from "./keepalivedConf";
import { NUMBER, num, type Sourced } from "./keepalivedConfValue";

export function readVirtualServer(st: ConfStatement, read: { scriptLines: ConfStatement[]; virtualServers: Map<string, Sourced<VirtualServerSpec>> }, d: (st: ConfStatement, why: string) => void): void {
    const [address, portText] = st.args;
    if (!parseAddress(address) || portText === undefined || !NUMBER.test(portText) || st.args.length !== 2) {
        return d(st, "only `virtual_server ADDRESS PORT` is expressed (not fwmark or group): left out");
    }
    const vs: Record<string, unknown> = { address, port: Number(portText) };
    const realServers: Unwrap<RealServerArgs>[] = [];
    let algo = false;
    let kind = false;
    for (const c of st.children ?? []) {
        const k = c.keyword;
        if (k === "delay_loop" || k === "persistence_timeout") {
            const value = num(c, c.args[0], d);
            if (value !== undefined) vs[k === "delay_loop" ? "delayLoop" : "persistenceTimeout"] = value;
        } else if (k === "lb_algo" || k === "lvs_sched") {
            algo = true;
            // rr is KeepalivedCluster's default: written or not, it renders `lvs_sched rr`.
            if (c.args[0] !== "rr") vs.lbAlgo = c.args[0];
        } else if (k === "lb_kind" || k === "lvs_method") {
            kind = true;
            if (c.args[0] !== "NAT") vs.lbKind = c.args[0];
        } else if (k === "protocol") {
            if (c.args[0] !== "TCP") vs.protocol = c.args[0];
        } else if (k === "sorry_server" && c.args.length === 2 && NUMBER.test(c.args[1])) {
            vs.sorryServer = { address: c.args[0], port: Number(c.args[1]) };
        } else if (k === "real_server") {
            const rs = readRealServer(c, d, read.scriptLines);
            if (rs) realServers.push(rs);
        } else {
            d(c, `\`${k}\` in virtual_server is not expressed by KeepalivedCluster`);
        }
    }
    if (!algo) d(st, "no lb_algo: KeepalivedCluster renders its default, `lvs_sched rr`");
    if (!kind) d(st, "no lb_kind: KeepalivedCluster renders its default, `lvs_method NAT`");
    vs.realServers = realServers;
    read.virtualServers.set(`${address} ${portText}`, { value: vs as unknown as VirtualServerSpec, st });
}

function readRealServer(st: ConfStatement, d: (st: ConfStatement, why: string) => void, scriptLines: ConfStatement[]): Unwrap<RealServerArgs> | undefined {
    const [address, portText] = st.args;
    if (!parseAddress(address) || portText === undefined || !NUMBER.test(portText)) {
        d(st, "only `real_server ADDRESS PORT` is expressed: left out");
        return undefined;
    }
    const rs: Unwrap<RealServerArgs> = { address, port: Number(portText) };
    for (const c of st.children ?? []) {
        if (c.keyword === "weight") {
            const value = num(c, c.args[0], d);
            // weight 1 is keepalived's default and KeepalivedCluster's.
            if (value !== undefined && value !== 1) rs.weight = value;
        } else if (["HTTP_GET", "SSL_GET", "TCP_CHECK", "SMTP_CHECK", "MISC_CHECK"].includes(c.keyword)) {
            if (rs.check) d(c, "a second health check on one real server is not expressed (one is): left out");
            else rs.check = readCheck(c, d, scriptLines);
        } else {
            d(c, `\`${c.keyword}\` in real_server is not expressed by KeepalivedCluster`);
        }
    }
    return rs;
}

const CONNECT_NUMBERS: Record<string, string> = {
    connect_port: "connectPort",
    connect_timeout: "connectTimeout",
    retry: "retry",
    nb_get_retry: "retry",
    delay_before_retry: "delayBeforeRetry",
};

function readCheck(st: ConfStatement, d: (st: ConfStatement, why: string) => void, scriptLines: ConfStatement[]): HealthCheckSpec {
    const check: Record<string, unknown> = { type: st.keyword };
    const urls: Record<string, unknown>[] = [];
    const misc = st.keyword === "MISC_CHECK";
    for (const c of st.children ?? []) {
        const k = c.keyword;
        if (!misc && CONNECT_NUMBERS[k]) {
            const value = num(c, c.args[0], d);
            if (value !== undefined) check[CONNECT_NUMBERS[k]] = value;
        } else if (!misc && (k === "connect_ip" || k === "bindto")) {
            check[k === "connect_ip" ? "connectIp" : "bindTo"] = c.args[0];
        } else if ((st.keyword === "HTTP_GET" || st.keyword === "SSL_GET") && k === "url") {
            const url: Record<string, unknown> = {};
            for (const u of c.children ?? []) {
                if (u.keyword === "path" || u.keyword === "digest") url[u.keyword] = u.args[0];
                else if (u.keyword === "status_code" && NUMBER.test(u.args[0] ?? "")) url.statusCode = Number(u.args[0]);
                else d(u, `\`${u.keyword}\` in url is not expressed by KeepalivedCluster`);
            }
            urls.push(url);
        } else if (st.keyword === "SMTP_CHECK" && k === "helo_name") {
            check.heloName = c.args[0];
        } else if (misc && k === "misc_path") {
            check.path = c.args.join(" ");
            scriptLines.push(c);
        } else if (misc && (k === "misc_timeout" || k === "retry" || k === "delay_before_retry")) {
            const value = num(c, c.args[0], d);
            if (value !== undefined) check[k === "misc_timeout" ? "timeout" : CONNECT_NUMBERS[k]] = value;
        } else if (misc && k === "misc_dynamic") {
            check.dynamic = true;
        } else if (misc && k === "user") {
            check.user = c.args[0];
        } else {
            d(c, `\`${k}\` in ${st.keyword} is not expressed by KeepalivedCluster`);
        }
    }
    if (st.keyword === "HTTP_GET" || st.keyword === "SSL_GET") check.urls = urls;
    return check as unknown as HealthCheckSpec;
}
