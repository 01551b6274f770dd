import { spawnSync } from "node:child_process";

/** Whether a tool is on PATH: checks that need it skip, with that reason, where it is missing. */
export const has = (tool: string): boolean => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
