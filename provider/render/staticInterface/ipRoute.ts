/** A route as `ip route` arguments: the form ifcfg route files, ifupdown hooks and the live state all use. */
import type { ResolvedRoute } from "../../plan/staticInterface/model";

/** `ip route` arguments after the verb: `DEST [via V] dev D [metric M] [table T]`. */
export function routeArgs(route: ResolvedRoute, device: string): string[] {
    return [
        route.destination,
        ...(route.via !== undefined ? ["via", route.via] : []),
        "dev",
        device,
        ...(route.metric !== undefined ? ["metric", String(route.metric)] : []),
        ...(route.table !== undefined ? ["table", String(route.table)] : []),
    ];
}
