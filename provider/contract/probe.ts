/**
 * A probe: a read-only command a resource runs on a host before it changes anything there (at preview
 * too), to refuse what the host's surroundings make unsafe. Exit 0 passes; this exit code refuses, with
 * one reason a line on stderr; any other exit is the probe's own failure.
 */
export const PROBE_REFUSES_EXIT = 3;
