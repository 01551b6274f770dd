/**
 * The import direction the design asks for (README, "Development"): the program side goes
 * sdk -> work -> plan/render -> model/contract, the effectful side dynamic -> host -> ssh -> contract,
 * and nothing pure reaches into the effectful layers. `npm test` runs this; test/unit/importRules.test.ts
 * shows each rule failing on a probe.
 */
const pure = "^provider/(contract|model|plan|render|work|import)/";
const effectful = "^provider/(dynamic|host|ssh)/";
// Resources have a folder each under plan/ and render/; render/docker and render/systemd are not: they hold
// dockerd's own files (daemon.json, DOCKER_OPTS, the default bridge), which OvsMesh and DockerRegistry
// both write, and systemd's (the restart drop-in), which KeepalivedCluster and DockerRegistry both write.
const resourceFolder = "^provider/(plan|render)/([^/]+)/";
const sharedFolder = "^provider/render/(docker|systemd)/";
module.exports = {
    forbidden: [
        { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
        { name: "pure-stays-pure", comment: "contract, model, plan, render, work and import compute; they never connect or touch a host",
          severity: "error", from: { path: pure }, to: { path: [effectful, "^provider/derive/", "^sdk/"] } },
        { name: "pure-no-io", comment: "no process, socket or file access in the pure layers",
          severity: "error", from: { path: pure },
          to: { dependencyTypes: ["core"], path: "^(node:)?(child_process|cluster|dgram|dns|fs|fs/promises|http|http2|https|net|os|tls|worker_threads)$" } },
        { name: "model-is-the-base", severity: "error", from: { path: "^provider/model/" }, to: { path: "^provider/(?!model/)" } },
        { name: "contract-above-model-only", severity: "error", from: { path: "^provider/contract/" }, to: { path: "^provider/(?!(contract|model)/)" } },
        { name: "plan-below-render", comment: "a plan decides; a renderer formats a plan", severity: "error",
          from: { path: "^provider/plan/" }, to: { path: "^provider/(render|work)/" } },
        { name: "render-below-work", severity: "error", from: { path: "^provider/render/" }, to: { path: "^provider/work/" } },
        { name: "resource-folders-apart", comment: "a resource's plan and renderers use their own folder, the shared ones, never another resource's",
          severity: "error", from: { path: resourceFolder, pathNot: sharedFolder },
          to: { path: "^provider/(plan|render)/[^/]+/", pathNot: ["^provider/(plan|render)/$2/", sharedFolder] } },
        { name: "shared-render-folder-apart", comment: "DOCKER_OPTS is written only for OvsMesh, from its planned `docker` options (plan/ovs/model.ts DockerOptions)",
          severity: "error", from: { path: sharedFolder },
          to: { path: "^provider/(plan|render)/[^/]+/", pathNot: [sharedFolder, "^provider/plan/ovs/model\\.ts$"] } },
        { name: "derive-below-dynamic", comment: "derive computes what the dynamic provider keeps; it knows no provider and no host plan",
          severity: "error", from: { path: "^provider/derive/" }, to: { path: "^provider/(dynamic|work)/" } },
        { name: "derive-reads-hosts-in-one-place", comment: "values are pure but StaticInterface's `auto` facts, read once; table.ts passes the connection on",
          severity: "error", from: { path: "^provider/derive/", pathNot: "^provider/derive/(staticInterfaceFormat|table)\\.ts$" }, to: { path: "^provider/(host|ssh)/" } },
        { name: "dynamic-knows-no-format", comment: "the dynamic providers take files, services and states ready-made",
          severity: "error", from: { path: "^provider/dynamic/" }, to: { path: "^provider/(plan|render|work)/" } },
        { name: "ssh-knows-no-host", severity: "error", from: { path: "^provider/ssh/" }, to: { path: "^provider/(?!(ssh|contract)/)" } },
        { name: "host-knows-no-format", comment: "the engine knows files, services and states, not keepalived.conf",
          severity: "error", from: { path: "^provider/host/" }, to: { path: "^provider/(plan|render|work|dynamic|derive)/" } },
        { name: "sdk-not-effectful", comment: "the SDK loads providers by package name at run time, never by import",
          severity: "error", from: { path: "^sdk/" }, to: { path: effectful } },
        { name: "sdk-reaches-no-ssh", comment: "nor through anything it imports (derive included, types too): a program and its preview load no SSH code",
          severity: "error", from: { path: "^sdk/" }, to: { path: ["^provider/(ssh|host)/", "(^|/)node_modules/ssh2/"], reachable: true } },
        { name: "provider-not-sdk", severity: "error", from: { path: "^provider/" }, to: { path: "^sdk/" } },
    ],
    options: {
        // No includeOnly: it would drop node's core modules (and ssh2) before the rules above see them.
        // Packages are leaves: their own imports are not read, so nothing in node_modules is reported.
        doNotFollow: { path: "node_modules" },
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
    },
};
