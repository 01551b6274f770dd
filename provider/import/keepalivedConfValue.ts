/**
 * Values of keepalived.conf statements as the import reads them: numbers, and a value kept with the
 * statement it came from so that a report can quote the line. Pure.
 */
import type { ConfStatement } from "./keepalivedConf";

/** A value with the statement it came from. */
export interface Sourced<T> {
    value: T;
    st: ConfStatement;
}

export const NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;

export function num(st: ConfStatement, text: string | undefined, d: (st: ConfStatement, why: string) => void): number | undefined {
    if (text !== undefined && NUMBER.test(text)) return Number(text);
    d(st, `${text === undefined ? "no value" : `"${text}" is not a number`}: left out`);
    return undefined;
}
