/**
 * The import direction the design asks for (README, "Development"): the program side goes
 * sdk -> work -> plan/render -> model/contract, the effectful side dynamic -> host -> ssh -> contract,
 * and nothing pure reaches into the effectful layers. `npm test` runs this.
 */
const pure = "^provider/(contract|model|plan|render|work)/";
const effectful = "^provider/(dynamic|host|ssh)/";
module.exports = {
    forbidden: [
        { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
        { name: "pure-stays-pure", comment: "contract, model, plan, render and work compute; they never connect or touch a host",
          severity: "error", from: { path: pure }, to: { path: [effectful, "^provider/derive/", "^sdk/"] } },
        { name: "pure-no-io", comment: "no process, socket or file access in the pure layers",
          severity: "error", from: { path: pure }, to: { dependencyTypes: ["core"], path: "^(child_process|net|fs|dgram|tls|http|https)$" } },
        { name: "model-is-the-base", severity: "error", from: { path: "^provider/model/" }, to: { path: "^provider/(?!model/)" } },
        { name: "contract-above-model-only", severity: "error", from: { path: "^provider/contract/" }, to: { path: "^provider/(?!(contract|model)/)" } },
        { name: "plan-below-render", comment: "a plan decides; a renderer formats a plan", severity: "error",
          from: { path: "^provider/plan/" }, to: { path: "^provider/(render|work)/" } },
        { name: "render-below-work", severity: "error", from: { path: "^provider/render/" }, to: { path: "^provider/work/" } },
        { name: "ssh-knows-no-host", severity: "error", from: { path: "^provider/ssh/" }, to: { path: "^provider/(?!(ssh|contract)/)" } },
        { name: "host-knows-no-format", comment: "the engine knows files, services and states, not keepalived.conf",
          severity: "error", from: { path: "^provider/host/" }, to: { path: "^provider/(plan|render|work|dynamic|derive)/" } },
        { name: "sdk-not-effectful", comment: "the SDK loads providers by package name at run time, never by import",
          severity: "error", from: { path: "^sdk/" }, to: { path: effectful } },
        { name: "provider-not-sdk", severity: "error", from: { path: "^provider/" }, to: { path: "^sdk/" } },
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        includeOnly: "^(sdk|provider)/",
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
    },
};
