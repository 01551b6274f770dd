/** The rules of LVS `virtual_server` blocks, their real servers and health checks. */
import { parseIp } from "../../model/address";
import { DEFAULT_VS_PROTOCOL, HealthCheckSpec, KeepalivedClusterSpec, VirtualServerSpec } from "./model";
import { Add, NOT_A_WORD, checkPort, isCommand, isInt, isPositive, isWord, q } from "./rules";

const LVS_SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "mh", "dh", "fo", "ovf", "sed", "nq"];
const LVS_METHODS = ["NAT", "DR", "TUN"];
const PROTOCOLS = ["TCP", "UDP", "SCTP"];
const CHECK_TYPES = ["HTTP_GET", "SSL_GET", "TCP_CHECK", "SMTP_CHECK", "MISC_CHECK"];
const MD5_HEX = /^[0-9a-fA-F]{32}$/;

export function validateVirtualServer(vs: VirtualServerSpec, v: number, add: Add): void {
    const at = `virtualServers[${v}]`;
    const address = parseIp(vs.address);
    if (!address) add(`${at}.address`, `${q(String(vs.address))} is not an IP address`);
    checkPort(vs.port, `${at}.port`, add);
    if (vs.protocol !== undefined && !PROTOCOLS.includes(vs.protocol)) add(`${at}.protocol`, `${q(String(vs.protocol))} is not one of ${PROTOCOLS.join(", ")}`);
    if (vs.lbAlgo !== undefined && !LVS_SCHEDULERS.includes(vs.lbAlgo)) add(`${at}.lbAlgo`, `${q(String(vs.lbAlgo))} is not one of ${LVS_SCHEDULERS.join(", ")}`);
    if (vs.lbKind !== undefined && !LVS_METHODS.includes(vs.lbKind)) add(`${at}.lbKind`, `${q(String(vs.lbKind))} is not one of ${LVS_METHODS.join(", ")}`);
    if (vs.persistenceTimeout !== undefined && !(isInt(vs.persistenceTimeout) && vs.persistenceTimeout >= 1)) {
        add(`${at}.persistenceTimeout`, `${vs.persistenceTimeout} is not a whole number of seconds, 1 or more`);
    }
    if (vs.delayLoop !== undefined && !isPositive(vs.delayLoop)) add(`${at}.delayLoop`, `${vs.delayLoop} is not a positive number of seconds`);
    // Tunnelled real servers may differ in family from the virtual server; NAT and DR ones may not.
    const sameFamily = vs.lbKind !== "TUN";
    if (vs.sorryServer !== undefined) {
        const sorry = parseIp(vs.sorryServer.address);
        if (!sorry || (sameFamily && address && sorry.family !== address.family)) {
            add(`${at}.sorryServer.address`, `${q(String(vs.sorryServer.address))} is not an IP address of the virtual server's family`);
        }
        if (vs.sorryServer.port !== undefined) checkPort(vs.sorryServer.port, `${at}.sorryServer.port`, add);
    }
    const realServers = Array.isArray(vs.realServers) ? vs.realServers : [];
    if (realServers.length === 0) add(`${at}.realServers`, "at least one real server is needed");
    const seen = new Map<string, number>();
    realServers.forEach((rs, r) => {
        const rat = `${at}.realServers[${r}]`;
        const rsAddress = parseIp(rs.address);
        if (!rsAddress || (sameFamily && address && rsAddress.family !== address.family)) {
            add(`${rat}.address`, `${q(String(rs.address))} is not an IP address of the virtual server's family`);
        }
        checkPort(rs.port, `${rat}.port`, add);
        const key = `${rsAddress?.address ?? rs.address}|${rs.port}`;
        if (seen.has(key)) add(`${rat}.address`, `${rs.address} port ${rs.port} is already realServers[${seen.get(key)}]`);
        else seen.set(key, r);
        if (rs.weight !== undefined && !(isInt(rs.weight) && rs.weight >= 0)) add(`${rat}.weight`, `${rs.weight} is not a whole number, 0 or more`);
        if (rs.check !== undefined) validateCheck(rs.check, `${rat}.check`, add);
    });
}

function validateCheck(check: HealthCheckSpec, at: string, add: Add): void {
    if (!CHECK_TYPES.includes(check.type)) {
        add(`${at}.type`, `${q(String(check.type))} is not one of ${CHECK_TYPES.join(", ")}`);
        return;
    }
    if (check.retry !== undefined && !(isInt(check.retry) && check.retry >= 0)) add(`${at}.retry`, `${check.retry} is not a whole number, 0 or more`);
    if (check.delayBeforeRetry !== undefined && !isPositive(check.delayBeforeRetry)) add(`${at}.delayBeforeRetry`, `${check.delayBeforeRetry} is not a positive number of seconds`);
    if (check.type === "MISC_CHECK") {
        if (!isCommand(check.path)) add(`${at}.path`, `${q(String(check.path))} must start with an absolute path (and hold no control characters)`);
        if (check.timeout !== undefined && !(isInt(check.timeout) && check.timeout >= 1)) add(`${at}.timeout`, `${check.timeout} is not a whole number of seconds, 1 or more`);
        if (check.user !== undefined && !isWord(check.user)) add(`${at}.user`, `${q(check.user)} ${NOT_A_WORD}`);
        return;
    }
    if (check.connectIp !== undefined && !parseIp(check.connectIp)) add(`${at}.connectIp`, `${q(check.connectIp)} is not an IP address`);
    if (check.bindTo !== undefined && !parseIp(check.bindTo)) add(`${at}.bindTo`, `${q(check.bindTo)} is not an IP address`);
    if (check.connectPort !== undefined) checkPort(check.connectPort, `${at}.connectPort`, add);
    if (check.connectTimeout !== undefined && !isPositive(check.connectTimeout)) add(`${at}.connectTimeout`, `${check.connectTimeout} is not a positive number of seconds`);
    if (check.type === "SMTP_CHECK" && check.heloName !== undefined && !isWord(check.heloName)) add(`${at}.heloName`, `${q(check.heloName)} ${NOT_A_WORD}`);
    if (check.type === "HTTP_GET" || check.type === "SSL_GET") {
        const urls = Array.isArray(check.urls) ? check.urls : [];
        if (urls.length === 0) add(`${at}.urls`, `at least one url is needed for ${check.type}`);
        urls.forEach((url, u) => {
            if (typeof url.path !== "string" || !url.path.startsWith("/") || !isWord(url.path)) {
                add(`${at}.urls[${u}].path`, `${q(String(url.path))} must start with "/" and hold no spaces, quotes, braces, # ! \\ or $`);
            }
            if (url.statusCode !== undefined && !(isInt(url.statusCode) && url.statusCode >= 100 && url.statusCode <= 599)) {
                add(`${at}.urls[${u}].statusCode`, `${url.statusCode} is not an HTTP status code (100-599)`);
            }
            if (url.digest !== undefined && !MD5_HEX.test(url.digest)) add(`${at}.urls[${u}].digest`, `${q(url.digest)} is not an MD5 digest (32 hex digits, as genhash prints)`);
        });
    }
}

export function validateVirtualServersUnique(spec: KeepalivedClusterSpec, add: Add): void {
    const seen = new Map<string, number>();
    (spec.virtualServers ?? []).forEach((vs, v) => {
        const address = parseIp(vs.address);
        if (!address) return;
        const protocol = vs.protocol ?? DEFAULT_VS_PROTOCOL;
        const key = `${address.address}|${vs.port}|${protocol}`;
        if (seen.has(key)) add(`virtualServers[${v}].address`, `${vs.address} port ${vs.port} ${protocol} is already virtualServers[${seen.get(key)}]`);
        else seen.set(key, v);
    });
}
