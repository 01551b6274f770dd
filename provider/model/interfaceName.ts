/**
 * Network device names as the kernel takes them and as this package writes them into file names,
 * shell-sourced ifcfg files, YAML and keyfiles.
 */

/** The kernel's limit for a device name (IFNAMSIZ 16 including the NUL); OVS's bridges and ports share it. */
export const DEVICE_NAME_MAX = 15;
/** Kernel names are 1-15 bytes without "/", ":" or whitespace; only these characters are taken, so a name is safe in every file it lands in. */
const DEVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

/** The rule in words, for messages. */
export const DEVICE_NAME_RULE = "1-15 characters: letters, digits, _ . -, starting with a letter or digit; no / : or spaces";

export function isValidDeviceName(name: unknown): name is string {
    return typeof name === "string" && DEVICE_NAME.test(name) && name !== "." && name !== "..";
}
