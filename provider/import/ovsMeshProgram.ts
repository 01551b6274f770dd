/**
 * The part of an imported program that declares the Open vSwitch mesh the hosts run (ovsMeshImport.ts),
 * with each host's connection, and the report of what the args leave out or the first `up` changes. Pure
 * and deterministic; the rest of the program is programText.ts's.
 */
import type { Issue } from "../contract/issue";
import { parseOvsMesh } from "../plan/ovs/validate";
import type { ImportNote, OvsMeshImport } from "./ovsMeshImport";
import { code, connectionCode, type ProgramConnection, type ProgramSection, reportLine } from "./programText";

/** The mesh's resource name in the program (its children are named after it). */
const MESH_NAME = "mesh";

/** The mesh's part of index.ts: one OvsMesh, each host with its connection. */
export function ovsMeshSection(input: {
    imported: OvsMeshImport;
    /** By host name. */
    connections: Record<string, ProgramConnection>;
    /** Where each host's state was read, for the header: "root@10.0.0.11: ovs-vsctl list ..., ip -j addr, /etc/default/docker". */
    sources: string[];
}): ProgramSection {
    const { mesh } = input.imported;
    const hosts = mesh.hosts.map((h) => h.name).join(", ");
    const args = {
        ...mesh,
        hosts: mesh.hosts.map(({ name, ...rest }) => ({ name, connection: connectionCode(input.connections[name]), ...rest })),
    };
    return {
        header: [`the Open vSwitch mesh of ${hosts} as one OvsMesh, imported by pulumi-onprem-import from:`, ...input.sources.map((s) => `  ${s}`)],
        config: [],
        classes: ["OvsMesh"],
        statements: [`const mesh = new OvsMesh(${JSON.stringify(MESH_NAME)}, ${code(args, 0)});`],
        // Named for the mesh: keepalived's section exports `notes` too.
        exports: ["export const meshHosts = mesh.hosts;", "export const meshNotes = mesh.notes;"],
        description: `the Open vSwitch mesh of ${hosts}, imported from OVSDB, their links and Docker options`,
    };
}

/**
 * The report: one line per note, `SOURCE: subject — why`, where `sources` maps a host name to how it was
 * reached (a note about the mesh as a whole says "mesh"). What the first `up` changes says so.
 */
export function ovsMeshReport(notes: readonly ImportNote[], sources: Record<string, string>): string {
    return notes
        .map((n) => reportLine(n.host === undefined ? MESH_NAME : (sources[n.host] ?? n.host), 0, n.subject, n.kind === "adoption" ? `carried over, and the first up changes the host: ${n.why}` : n.why))
        .join("");
}

/** What the package's own checks say of the mesh as the program declares it (nothing: a preview takes it). */
export function importedMeshIssues(imported: OvsMeshImport): Issue[] {
    const parsed = parseOvsMesh({ name: MESH_NAME, ...imported.mesh });
    return parsed.ok ? [] : parsed.issues;
}
