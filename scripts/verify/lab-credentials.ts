// Reads the lab's write and read credentials from the inventory `npm run lab -- up` wrote.
import { fs, path } from 'zx';
import { labClusterVars, labInventoryFiles, parseLabSecrets } from '../lib/lab-inventory.js';
import type { Credentials } from './lab-client.js';

export const labInventoryDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../.lab/inventory');

export async function labCredentials(): Promise<{ write: Credentials; read: Credentials }> {
  const file = path.join(labInventoryDir, labInventoryFiles.secrets);
  const secrets = parseLabSecrets(await fs.readFile(file, 'utf8'), file);
  if (!secrets) throw new Error(`${file}: no usable lab passwords; run npm run lab -- up`);
  const settings = labClusterVars();
  return {
    write: { username: String(settings.vmha_write_username), password: secrets.vmha_write_password },
    read: { username: String(settings.vmha_read_username), password: secrets.vmha_read_password },
  };
}
