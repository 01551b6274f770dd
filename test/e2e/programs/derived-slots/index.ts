import * as pulumi from "@pulumi/pulumi";
import { DerivedValue } from "pulumi-onprem";

const cfg = new pulumi.Config();
const hosts = cfg.requireObject<string[]>("hosts");
const slots = new DerivedValue("slots", { derivation: "meshSlots", input: { hosts: hosts.map((name) => ({ name })), maxSlot: 7 } });

// A plain output built from the value: shows whether the value is known at preview.
export const layout = slots.value.apply((s) => Object.entries(s).map(([host, slot]) => `${host}=${slot}`).join(","));
