// The write and read paths as a client on a lab host uses them: through the DNS names (as that
// host resolves them), https with the lab CA, basic auth. Requests run as curl on the host (the
// grafana host for reads, as Grafana queries), so the hosts file, firewall and TLS are the real ones.
import { fs, os, path } from 'zx';
import { hostsInGroup, labClusterSettings, labPorts, labScheme } from '../lib/lab-topology.js';
import { shellQuote } from '../lib/load-check.js';
import { copyToHost, onHost, type Credentials } from './lab-client.js';
import { labCaFile, labCredentials } from './lab-credentials.js';

export interface PathAnswer {
  status: number;
  body: string;
  seconds: number;
}

const clientCa = '/root/vmha-lab-ca.pem';

export class LabPath {
  private constructor(
    readonly host: string,
    readonly baseUrl: string,
    private readonly credentials: Credentials,
  ) {}

  /** The read path from the grafana host: https://<read DNS name>:<port>/select/0/prometheus. */
  static read(): Promise<LabPath> {
    return LabPath.fromGrafana('read', `${labClusterSettings.read_dns_name}:${labPorts.lb_select}/select/0/prometheus`);
  }

  /** The write path from the grafana host: https://<write DNS name>:<port>/insert/0/prometheus. */
  static write(): Promise<LabPath> {
    return LabPath.fromGrafana('write', `${labClusterSettings.write_dns_name}:${labPorts.lb_insert}/insert/0/prometheus`);
  }

  /** A path as the grafana host uses it: its hosts file for the name, the lab CA copied there, basic auth. */
  private static async fromGrafana(which: 'read' | 'write', hostAndPath: string): Promise<LabPath> {
    const [grafana] = hostsInGroup('grafana');
    if (!grafana) throw new Error('lab topology has no grafana host');
    const credentials = (await labCredentials())[which];
    await copyToHost(grafana.name, labCaFile, clientCa);
    return new LabPath(grafana.name, `${labScheme}://${hostAndPath}`, credentials);
  }

  /**
   * A request to `<base><route>` with form parameters (POST, as Grafana's datasource sends
   * queries; `method: 'GET'` puts them in the query string). Never throws: status 0 is no answer.
   */
  async request(route: string, params: ReadonlyArray<[string, string]> = [], options: { method?: 'GET' | 'POST'; timeoutSeconds?: number } = {}): Promise<PathAnswer> {
    const started = Date.now();
    const form = params.map(([k, v]) => `--data-urlencode ${shellQuote(`${k}=${v}`)}`).join(' ');
    const get = options.method === 'GET' ? '-G' : '';
    const auth = shellQuote(`${this.credentials.username}:${this.credentials.password}`);
    const run = await onHost(
      this.host,
      `curl -sS --max-time ${options.timeoutSeconds ?? 60} --cacert ${clientCa} -u ${auth} ${get} ${form} -w '\\n%{http_code}' ${shellQuote(this.baseUrl + route)}`,
    );
    return splitStatus(run.stdout, run.stderr, started);
  }

  /** Posts a body (e.g. import lines) from a file copied to the host. */
  async post(route: string, body: string, options: { timeoutSeconds?: number } = {}): Promise<PathAnswer> {
    const started = Date.now();
    const local = path.join(os.tmpdir(), `vmha-body-${process.pid}-${Date.now()}.txt`);
    const remote = `/tmp/${path.basename(local)}`;
    await fs.writeFile(local, body);
    try {
      await copyToHost(this.host, local, remote);
    } finally {
      await fs.remove(local);
    }
    const auth = shellQuote(`${this.credentials.username}:${this.credentials.password}`);
    const run = await onHost(
      this.host,
      `curl -sS --max-time ${options.timeoutSeconds ?? 120} --cacert ${clientCa} -u ${auth} --data-binary @${remote} -w '\\n%{http_code}' ${shellQuote(this.baseUrl + route)}; rm -f ${remote}`,
    );
    return splitStatus(run.stdout, run.stderr, started);
  }
}

function splitStatus(stdout: string, stderr: string, started: number): PathAnswer {
  const cut = stdout.lastIndexOf('\n');
  const status = Number(stdout.slice(cut + 1).trim());
  const body = cut >= 0 ? stdout.slice(0, cut) : '';
  const seconds = (Date.now() - started) / 1000;
  if (!Number.isInteger(status) || status === 0) return { status: 0, body: (body + stderr).trim(), seconds };
  return { status, body, seconds };
}

/** Parses a JSON answer, undefined when it is not JSON. */
export function json<T>(answer: PathAnswer): T | undefined {
  try {
    return JSON.parse(answer.body) as T;
  } catch {
    return undefined;
  }
}
