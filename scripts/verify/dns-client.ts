// A client of the lab as applications are: it resolves the write and read DNS names from a lab
// host's hosts file (the records vmha publishes), picks an address round robin per request and
// tries the other balancer when one fails, with basic auth and the lab CA.
import { addressOrder, hostsFileAddresses } from '../lib/failover.js';
import { hostsInGroup, labClusterSettings, labScheme } from '../lib/lab-topology.js';
import { http, onHost, type Credentials } from './lab-client.js';
import { labCa, labCredentials } from './lab-credentials.js';

/** Per-address timeout of a request; the client then tries the other address. */
export const attemptTimeoutMs = 2000;

export interface Client {
  writeAddresses: string[];
  readAddresses: string[];
  write: Credentials;
  read: Credentials;
  ca: string;
}

export async function makeClient(): Promise<Client> {
  const [grafana] = hostsInGroup('grafana');
  if (!grafana) throw new Error('lab topology has no grafana host');
  const hosts = await onHost(grafana.name, 'cat /etc/hosts');
  const writeAddresses = hostsFileAddresses(hosts.stdout, labClusterSettings.write_dns_name);
  const readAddresses = hostsFileAddresses(hosts.stdout, labClusterSettings.read_dns_name);
  if (writeAddresses.length < 2 || readAddresses.length < 2) {
    throw new Error(`${grafana.name}:/etc/hosts lacks both balancers of the DNS names: write ${writeAddresses}, read ${readAddresses}`);
  }
  const { write, read } = await labCredentials();
  return { writeAddresses, readAddresses, write, read, ca: await labCa() };
}

let requestCounter = 0;
/** One logical request: the addresses in round-robin order, the next one after a failure. */
export async function request(
  addresses: readonly string[],
  port: number,
  pathAndQuery: string,
  options: { credentials: Credentials; ca: string; method?: string; body?: string; timeoutMs?: number },
): Promise<{ status: number; body: string; address: string }> {
  let last = { status: 0, body: 'no address', address: '' };
  for (const address of addressOrder(addresses, requestCounter++)) {
    const result = await http(`${labScheme}://${address}:${port}${pathAndQuery}`, {
      credentials: options.credentials,
      ca: options.ca,
      method: options.method ?? 'GET',
      ...(options.body !== undefined ? { body: options.body } : {}),
      timeoutMs: options.timeoutMs ?? attemptTimeoutMs,
    });
    last = { ...result, address };
    if (result.status >= 200 && result.status < 300) return last;
  }
  return last;
}

