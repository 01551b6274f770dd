/**
 * The parts of `@pulumi/pulumi` this package's components use, imported from the modules that define
 * them. The package's index also loads the Automation API (npm's arborist and pacote, the closure
 * serializer's TypeScript): about 0.4 s of every `pulumi` command, spent before the program's first
 * resource registers, and so before the engine starts the dynamic-provider host. A program that imports
 * `@pulumi/pulumi` itself pays that anyway; one that imports only this package does not.
 * The classes and types are the index's own (it re-exports these modules).
 */
export { ComponentResource, CustomResource, mergeOptions, Resource } from "@pulumi/pulumi/resource";
export type { ComponentResourceOptions, CustomResourceOptions } from "@pulumi/pulumi/resource";
export { all, output, Output, secret, unsecret } from "@pulumi/pulumi/output";
export type { Input, Inputs, Unwrap } from "@pulumi/pulumi/output";
export { getProject, getStack } from "@pulumi/pulumi/metadata";
export { getStackResource } from "@pulumi/pulumi/runtime/stack";
export * as log from "@pulumi/pulumi/log";
