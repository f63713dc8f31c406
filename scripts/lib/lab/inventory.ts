// Writes the lab inventory (.lab/inventory/): hosts, cluster settings, secrets (kept once made)
// and the generated role vars, so site.yml can run against it.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { formatFinding } from '../inventory/index.js';
import { generateVars } from '../inventory/read.js';
import {
  labInventoryFiles,
  newLabSecrets,
  parsePartialLabSecrets,
  renderLabClusterVarsYaml,
  renderLabHostsYaml,
  renderLabSecretsYaml,
} from '../lab-inventory.js';
import { labClusterSettings } from '../lab-topology.js';
import { inventoryDir, LabError, log, repoRoot, tlsDir } from './common.js';
import { ensureTls } from './pki.js';
import { sshKeyFile } from './ssh.js';

export async function writeInventory(): Promise<void> {
  const file = (rel: string) => path.join(inventoryDir, rel);
  if (labClusterSettings.tls_enabled) await ensureTls();
  await fsp.mkdir(path.dirname(file(labInventoryFiles.settings)), { recursive: true });
  await fsp.writeFile(file(labInventoryFiles.hosts), renderLabHostsYaml(sshKeyFile));
  await fsp.writeFile(file(labInventoryFiles.settings), renderLabClusterVarsYaml(tlsDir));
  const secretsFile = file(labInventoryFiles.secrets);
  const existing = existsSync(secretsFile)
    ? parsePartialLabSecrets(await fsp.readFile(secretsFile, 'utf8'), secretsFile)
    : {};
  const complete = newLabSecrets((n) => randomBytes(n), existing);
  if (Object.keys(existing).length < Object.keys(complete).length) {
    // Secrets already there are kept (clients of the running lab keep working); missing ones are added.
    log(`generating lab credentials in ${path.relative(repoRoot, secretsFile)}`);
    await fsp.writeFile(secretsFile, renderLabSecretsYaml(complete), { mode: 0o600 });
  }
  await fsp.chmod(secretsFile, 0o600);
  // The derived role vars (zz-generated.yml): site.yml refuses an inventory whose file is stale.
  const generated = generateVars(inventoryDir);
  if (!generated.report.ok || generated.text === undefined) {
    throw new LabError(`the lab inventory fails validation:\n${generated.report.errors.map(formatFinding).join('\n')}`);
  }
  await fsp.mkdir(path.dirname(generated.generatedPath), { recursive: true });
  await fsp.writeFile(generated.generatedPath, generated.text);
}
