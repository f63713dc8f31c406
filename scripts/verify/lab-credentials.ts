// Reads what a client of the lab needs: the write and read credentials from the inventory
// `npm run lab -- up` wrote, and the lab CA that signed the load balancers' certificate.
import { fs, path } from 'zx';
import { labClusterVars, labInventoryFiles, parseLabSecrets, parsePartialLabSecrets, type LabSecrets } from '../lib/lab-inventory.js';
import { labTlsFiles } from '../lib/lab-topology.js';
import type { Credentials } from './lab-client.js';

const labDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../.lab');
export const labInventoryDir = path.join(labDir, 'inventory');
export const labCaFile = path.join(labDir, 'tls', labTlsFiles.caCert);

export async function labCredentials(): Promise<{ write: Credentials; read: Credentials }> {
  const file = path.join(labInventoryDir, labInventoryFiles.secrets);
  const secrets = parsePartialLabSecrets(await fs.readFile(file, 'utf8'), file);
  if (!secrets.vmha_write_password || !secrets.vmha_read_password) throw new Error(`${file}: no usable lab passwords; run npm run lab -- up`);
  const settings = labClusterVars(path.dirname(labCaFile));
  return {
    write: { username: String(settings.vmha_write_username), password: secrets.vmha_write_password },
    read: { username: String(settings.vmha_read_username), password: secrets.vmha_read_password },
  };
}

/** Every lab secret, the component ones included (backend passwords and admin keys). */
export async function labSecrets(): Promise<LabSecrets> {
  const file = path.join(labInventoryDir, labInventoryFiles.secrets);
  const secrets = parseLabSecrets(await fs.readFile(file, 'utf8'), file);
  if (!secrets) throw new Error(`${file}: lacks component secrets; run npm run lab -- inventory`);
  return secrets;
}

/** The lab CA (PEM), for clients of the https write and read paths. */
export async function labCa(): Promise<string> {
  return fs.readFile(labCaFile, 'utf8');
}
