import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import * as fs from "fs";

// The benchmark configuration written the naive way: per host, each file copied to a staging path
// (CopyToRemote), checked and moved into place (remote.Command), and keepalived reloaded
// (remote.Command), each command rerun when its file's content changes. The same bytes as the other
// tools; daemon.json is written whole (no merge: the hosts start without one).
interface HostEntry { name: string; address: string; port: number; user: string }
const inventory = JSON.parse(fs.readFileSync(process.env.BENCH_INVENTORY!, "utf8")) as { privateKeyPath: string; hosts: HostEntry[] };
const hosts = inventory.hosts;
const privateKey = fs.readFileSync(inventory.privateKeyPath, "utf8");
const vip = process.env.BENCH_VIP!;
const change = process.env.BENCH_CHANGE === "1";

function keepalivedConf(index: number): string {
    const h = hosts[index];
    const last = index === hosts.length - 1;
    const priority = index === 0 ? 200 : change && last ? 20 : 150 - index;
    const peers = hosts.filter((p) => p.name !== h.name).map((p) => `    ${p.address}\n`).join("");
    return `# Managed by pulumi-onprem: changes made here are reverted by the next \`pulumi up\`.

global_defs {
  router_id ${h.name}
}

track_file pulumi_onprem_maintenance {
  file "/etc/keepalived/pulumi-onprem-maintenance"
  weight -253
}

vrrp_instance VI_1 {
  state ${index === 0 ? "MASTER" : "BACKUP"}
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  unicast_src_ip ${h.address}
  unicast_peer {
${peers}  }
  authentication {
    auth_type PASS
    auth_pass bench123
  }
  virtual_ipaddress {
    ${vip}
  }
  track_file {
    pulumi_onprem_maintenance weight -253
  }
}
`;
}

const daemonJson = `${JSON.stringify({ "insecure-registries": [`${hosts[0].address}:5000`], "log-level": "warn", "max-concurrent-downloads": 6 }, null, 2)}\n`;
const sha = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

hosts.forEach((h, i) => {
    const connection = { host: h.address, port: h.port, user: h.user, privateKey };
    const conf = keepalivedConf(i);
    const copyConf = new command.remote.CopyToRemote(`keepalived-conf-${h.name}`, {
        connection, source: new pulumi.asset.StringAsset(conf), remotePath: "/tmp/bench-keepalived.conf", triggers: [sha(conf)],
    });
    // The maintenance flag keepalived.conf tracks (0: in service), as KeepalivedCluster writes it.
    const flag = new command.remote.Command(`maintenance-flag-${h.name}`, {
        connection, create: "printf '0\\n' > /etc/keepalived/pulumi-onprem-maintenance && chmod 0644 /etc/keepalived/pulumi-onprem-maintenance",
    });
    const installConf = new command.remote.Command(`keepalived-install-${h.name}`, {
        connection,
        create: "keepalived -t -f /tmp/bench-keepalived.conf && install -m 0600 -o root -g root /tmp/bench-keepalived.conf /etc/keepalived/keepalived.conf",
        triggers: [sha(conf)],
    }, { dependsOn: [copyConf, flag] });
    new command.remote.Command(`keepalived-reload-${h.name}`, {
        connection, create: "systemctl reload-or-restart keepalived", triggers: [sha(conf)],
    }, { dependsOn: installConf });

    const copyDaemon = new command.remote.CopyToRemote(`daemon-json-${h.name}`, {
        connection, source: new pulumi.asset.StringAsset(daemonJson), remotePath: "/tmp/bench-daemon.json", triggers: [sha(daemonJson)],
    });
    new command.remote.Command(`daemon-json-install-${h.name}`, {
        connection,
        create: "mkdir -p /etc/docker && install -m 0644 -o root -g root /tmp/bench-daemon.json /etc/docker/daemon.json",
        triggers: [sha(daemonJson)],
    }, { dependsOn: copyDaemon });
});
