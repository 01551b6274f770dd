import * as pulumi from "@pulumi/pulumi";
import { OvsMesh, OvsMeshArgs } from "pulumi-onprem";

// `meshes`: {name: args}, connections included (a preview that refuses the input never uses them).
const config = new pulumi.Config();
const meshes = config.requireObject<Record<string, OvsMeshArgs>>("meshes");
for (const [name, args] of Object.entries(meshes)) new OvsMesh(name, args);
