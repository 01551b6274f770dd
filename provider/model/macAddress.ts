/** A NIC's hardware address: one rule for the validator that takes it and the importers that read it. */

const MAC_ADDRESS = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

/** "52:54:00:12:34:56", either case: the form every network config format writes a NIC's address in. */
export function isMacAddress(text: unknown): text is string {
    return typeof text === "string" && MAC_ADDRESS.test(text);
}
