import { ServiceWork } from "../changes";
import { shellQuote as q } from "../../contract/shell";
import { Phase } from "./phases";

/** Pure: reload/restart only services whose files changed; start, stop, enable as asked. */
export function renderActivateScript(work: readonly ServiceWork[]): string {
    const lines = ["set -e"];
    for (const w of work) {
        const n = q(w.service.name);
        if (w.service.onlyIfRunning) {
            if (w.trigger) lines.push(`if systemctl is-active -q ${n}; then systemctl ${w.service.onChange === "reload" ? "reload" : "restart"} ${n}; fi`);
            continue;
        }
        if (w.enable) lines.push(`systemctl enable ${n} >/dev/null`);
        if (w.stop) lines.push(`systemctl stop ${n}`);
        if (w.start) lines.push(`systemctl start ${n}`);
        if (w.trigger) {
            lines.push(
                w.service.onChange === "reload"
                    ? `if systemctl is-active -q ${n}; then systemctl reload ${n}; else systemctl start ${n}; fi`
                    : `systemctl restart ${n}`,
            );
        }
    }
    return lines.join("\n") + "\n";
}

/** Pure: the activation as a step of a command (none when no service has work). */
export function activationPhases(work: readonly ServiceWork[]): Phase[] {
    if (work.length === 0) return [];
    return [{ description: `activate ${work.map((w) => w.service.name).join(", ")}`, kind: "Apply", command: renderActivateScript(work) }];
}
