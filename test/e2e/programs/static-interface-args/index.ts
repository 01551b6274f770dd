import * as pulumi from "@pulumi/pulumi";
import { StaticInterface, StaticInterfaceArgs } from "pulumi-onprem";

// `interfaces`: {name: args}, passed through as they are.
const config = new pulumi.Config();
const interfaces = config.requireObject<Record<string, StaticInterfaceArgs>>("interfaces");
for (const [name, args] of Object.entries(interfaces)) new StaticInterface(name, args);
