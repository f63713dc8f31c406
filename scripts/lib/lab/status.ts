// `lab status`: what exists of the lab, as a table or as JSON (statusReport()).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { labInventoryFiles, labClusterVars } from '../lab-inventory.js';
import {
  labClusterSettings,
  labHosts,
  labNetwork,
  labMirrorUrl,
  labReadUrl,
  labTlsFiles,
  labWriteUrl,
} from '../lab-topology.js';
import { dockerOk, inventoryDir, repoRoot, tlsDir } from './common.js';
import { containerState, systemdState } from './containers.js';
import { mirrorAnswers } from './mirror.js';

interface HostStatus {
  name: string;
  address: string;
  groups: string[];
  state: string;
  systemd: string;
}

export async function statusReport() {
  const hosts: HostStatus[] = await Promise.all(
    labHosts.map(async (h) => {
      const c = await containerState(h.name);
      const state = !c.exists ? 'absent' : !c.labelled ? 'foreign' : c.running ? 'running' : 'stopped';
      const systemd = state === 'running' ? (await systemdState(h.name)) || 'unreachable' : '-';
      return { name: h.name, address: h.address, groups: [...h.groups], state, systemd };
    }),
  );
  const networkUp = await dockerOk('network', 'inspect', labNetwork.name);
  return {
    network: networkUp ? labNetwork.name : null,
    subnet: labNetwork.subnet,
    hosts,
    inventory: existsSync(path.join(inventoryDir, labInventoryFiles.hosts)) ? inventoryDir : null,
    mirror_url: labMirrorUrl,
    mirror_up: await mirrorAnswers(),
    write_url: labWriteUrl(),
    read_url: labReadUrl(),
    // The CA that signed the load balancers' certificate, for clients of the https URLs.
    ca_file: labClusterSettings.tls_enabled ? path.join(tlsDir, labTlsFiles.caCert) : null,
    write_username: labClusterVars(tlsDir).vmha_write_username,
    read_username: labClusterVars(tlsDir).vmha_read_username,
    credentials_file: path.join(inventoryDir, labInventoryFiles.secrets),
  };
}

export async function printStatus(json: boolean): Promise<void> {
  const report = await statusReport();
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const rows = [['HOST', 'ADDRESS', 'STATE', 'SYSTEMD', 'GROUPS'], ...report.hosts.map((h) => [h.name, h.address, h.state, h.systemd, h.groups.join(',')])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  console.log(`\nnetwork   ${report.network ?? `(absent) ${labNetwork.name}`} ${report.subnet}`);
  console.log(`inventory ${report.inventory ?? '(not written yet: npm run lab -- up)'}`);
  console.log(`mirror    ${report.mirror_url} ${report.mirror_up ? 'up' : 'down'}`);
  console.log(`write     ${report.write_url}`);
  console.log(`read      ${report.read_url}`);
  if (report.ca_file) console.log(`CA        ${report.ca_file}`);
  console.log(`users     write ${report.write_username}, read ${report.read_username} (passwords in ${path.relative(repoRoot, report.credentials_file)})`);
}
