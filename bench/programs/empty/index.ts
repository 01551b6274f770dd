// Nothing: what a TypeScript Pulumi program costs before it declares a resource.
export const nothing = "";
