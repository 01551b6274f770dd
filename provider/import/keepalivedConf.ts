/**
 * keepalived.conf as a tree, for importing what operators wrote by hand: each statement is a keyword,
 * its arguments and, for blocks, its children, with the line it starts on. Pure: text in, tree out.
 * It knows keepalived's syntax (comments, braces, quoted strings), not its keywords: what a keyword
 * means is the reader's (keepalivedNodeRead.ts).
 */

/** One statement: `keyword args...`, with `children` when a `{ ... }` block follows it. */
export interface ConfStatement {
    keyword: string;
    /** The words after the keyword, quotes removed ("a b" is one argument). */
    args: string[];
    /** The statements of its block, when it has one. */
    children?: ConfStatement[];
    /** The 1-based line the statement starts on. */
    line: number;
    /** That line as written, comment and surrounding whitespace removed: what a report quotes. */
    text: string;
}

/** A line the parser could not place (a stray `}`, an unclosed block or quote). */
interface ConfSyntaxProblem {
    line: number;
    text: string;
    why: string;
}

export interface ParsedConf {
    statements: ConfStatement[];
    problems: ConfSyntaxProblem[];
}

interface Token {
    value: string;
    /** `{` and `}` as written, not inside quotes. */
    brace?: "{" | "}";
}

/** Parses keepalived.conf text. Never throws: what it cannot place is in `problems`. */
export function parseKeepalivedConf(text: string): ParsedConf {
    const root: ConfStatement[] = [];
    const problems: ConfSyntaxProblem[] = [];
    // Each open block: the statement that owns it and where its children go.
    const stack: { owner?: ConfStatement; children: ConfStatement[] }[] = [{ children: root }];
    // The last complete statement at the current depth: a `{` on the next line opens its block.
    let previous: ConfStatement | undefined;

    text.split(/\r?\n/).forEach((raw, index) => {
        const line = index + 1;
        const { tokens, comment, unclosedQuote } = tokenize(raw);
        const shown = raw.slice(0, comment).trim();
        if (unclosedQuote) problems.push({ line, text: shown, why: "a quoted string is not closed on its line" });
        let current: ConfStatement | undefined;
        const finish = () => {
            if (current) {
                stack[stack.length - 1].children.push(current);
                previous = current;
                current = undefined;
            }
        };
        for (const token of tokens) {
            if (token.brace === "{") {
                const owner = current ?? previous;
                finish();
                if (!owner || owner.children) {
                    problems.push({ line, text: shown, why: "a `{` that follows no statement" });
                    stack.push({ children: [] });
                } else {
                    owner.children = [];
                    stack.push({ owner, children: owner.children });
                }
                previous = undefined;
            } else if (token.brace === "}") {
                finish();
                if (stack.length === 1) problems.push({ line, text: shown, why: "a `}` that closes no block" });
                else previous = stack.pop()!.owner;
            } else if (current) {
                current.args.push(token.value);
            } else {
                current = { keyword: token.value, args: [], line, text: shown };
            }
        }
        finish();
    });
    for (const open of stack.slice(1).reverse()) {
        if (open.owner) problems.push({ line: open.owner.line, text: open.owner.text, why: "this block is not closed (a `}` is missing)" });
    }
    return { statements: root, problems };
}

/**
 * Splits one line into words and braces. `!` and `#` outside quotes start a comment (also after a
 * statement); `"..."` is one word, with `\"` and `\\` escaped.
 */
function tokenize(raw: string): { tokens: Token[]; comment: number; unclosedQuote: boolean } {
    const tokens: Token[] = [];
    let i = 0;
    while (i < raw.length) {
        const c = raw[i];
        if (c === " " || c === "\t") {
            i++;
        } else if (c === "!" || c === "#") {
            return { tokens, comment: i, unclosedQuote: false };
        } else if (c === "{" || c === "}") {
            tokens.push({ value: c, brace: c });
            i++;
        } else if (c === '"') {
            let value = "";
            i++;
            while (i < raw.length && raw[i] !== '"') {
                if (raw[i] === "\\" && i + 1 < raw.length) i++;
                value += raw[i++];
            }
            if (i >= raw.length) return { tokens: [...tokens, { value }], comment: raw.length, unclosedQuote: true };
            tokens.push({ value });
            i++;
        } else {
            let value = "";
            while (i < raw.length && !" \t{}\"!#".includes(raw[i])) value += raw[i++];
            tokens.push({ value });
        }
    }
    return { tokens, comment: raw.length, unclosedQuote: false };
}
