/** The rules of `garbageCollection`: a schedule systemd can read, and a registry whose storage is its own. */
import type { RegistryDraft } from "./model";

type Add = (field: string, rule: string) => void;

/**
 * The characters of systemd's calendar expressions ("Sun *-*-* 03:00:00", "daily", "Mon..Fri 02:30",
 * "*-*-01 04:00 UTC"). A shape check only: `systemd-analyze calendar` checks the grammar on the host.
 */
const CALENDAR = /^[A-Za-z0-9*:,./~+ -]{1,200}$/;
/** Free text, but one line: it is kept on the host and compared. */
const TRIGGER = /^[^\u0000-\u001f\u007f]{1,200}$/;

export function validateGc(spec: RegistryDraft, add: Add): void {
    const gc = spec.garbageCollection;
    if (gc === undefined) return;
    if (gc.schedule !== undefined && (typeof gc.schedule !== "string" || !CALENDAR.test(gc.schedule) || gc.schedule.trim() === "")) {
        add("garbageCollection.schedule", `${JSON.stringify(gc.schedule)} is not a systemd calendar expression (e.g. "Sun *-*-* 03:00:00", "daily") or "none"`);
    }
    if (gc.deleteUntagged !== undefined && typeof gc.deleteUntagged !== "boolean") add("garbageCollection.deleteUntagged", "must be true or false");
    if (gc.trigger !== undefined && (typeof gc.trigger !== "string" || !TRIGGER.test(gc.trigger))) {
        add("garbageCollection.trigger", "must be one line of 1-200 characters");
    }
    // A cache's blobs belong to the upstream and expire on their own (proxy.ttl); the collector is for pushed images.
    if (spec.proxy !== undefined) add("garbageCollection", "is not for a pull-through cache (`proxy`), which expires its own blobs");
}
