// The ONE source of truth for the lab: its Docker network, its hosts (container name =
// inventory host name, fixed address, groups) and the cluster settings the lab deploys with.
// Used by scripts/lab.ts, the lab inventory and Molecule. Pure but for one input: the lab's size
// (VMHA_LAB_HOSTS, the seed topology when unset).

import { createHash } from 'node:crypto';
import { COMPONENTS, GROUPS, seedSize } from './components.js';
import { DEFAULT_PORTS, type GroupName, type VmhaPorts } from './inventory/schema.js';
import { SEED_SIZES } from './inventory/synthetic.js';

/** The lab's hosts are in the inventory's groups. */
export type LabGroup = GroupName;

export interface LabHost {
  /** Container name, hostname and inventory host name. */
  readonly name: string;
  /** Fixed IPv4 address on the lab network. */
  readonly address: string;
  readonly groups: readonly LabGroup[];
}

export interface LabNetwork {
  readonly name: string;
  readonly subnet: string;
  readonly gateway: string;
}

export const labNetwork: LabNetwork = {
  name: 'vmha-lab',
  subnet: '10.213.0.0/24',
  gateway: '10.213.0.1',
};

/** Docker label on everything the lab creates, so `lab down` removes only its own things. */
export const labLabel = 'vmha.lab';

type OwnHosts = { group: LabGroup; prefix: string; count: number; firstOctet: number };

/** The groups with lab hosts of their own, in address order, each at its seed size. */
const seedGroups: readonly OwnHosts[] = GROUPS.flatMap((group): OwnHosts[] => {
  const lab = COMPONENTS[group].lab;
  return typeof lab === 'object' && 'prefix' in lab ? [{ group, ...lab, count: seedSize(group) }] : [];
}).sort((a, b) => a.firstOctet - b.firstOctet);

/** Groups that share the hosts of a seed group in the lab: {extra group: seed group}. */
const sharedGroups: Readonly<Partial<Record<LabGroup, LabGroup>>> = Object.fromEntries(
  GROUPS.flatMap((group): [LabGroup, LabGroup][] => {
    const lab = COMPONENTS[group].lab;
    return typeof lab === 'object' && 'on' in lab ? [[group, lab.on]] : [];
  }),
);

/** Groups every lab host is in. */
const everyHostGroups = GROUPS.filter((group) => COMPONENTS[group].lab === 'every host');

const subnetBase = labNetwork.subnet.replace(/\.0\/24$/, '');

function groupHosts(group: LabGroup, prefix: string, count: number, firstOctet: number): LabHost[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${i + 1}`,
    address: `${subnetBase}.${firstOctet + i}`,
    groups: [group, ...(Object.keys(sharedGroups) as LabGroup[]).filter((extra) => sharedGroups[extra] === group), ...everyHostGroups],
  }));
}

/** The seed lab's size: every seed group at its seed size. */
export const labSeedHostCount = seedGroups.reduce((sum, g) => sum + g.count, 0);
/** Largest lab: the address blocks below (10 vmstorages, 10 vmagents, 150 plain targets). */
export const labMaxHostCount = labSeedHostCount + (10 - SEED_SIZES.vmstorage) + (10 - SEED_SIZES.vmagent) + 150;

/**
 * A lab of `total` hosts for scale benchmarks: the seed topology, then one more vmstorage and one
 * more vmagent per 10 added hosts (up to 10 of each), the rest plain node_exporter targets
 * (`target-N`, .101 up) that only get scraped: how real sites grow.
 */
export function labHostsOfSize(total: number): LabHost[] {
  if (!Number.isInteger(total) || total < labSeedHostCount || total > labMaxHostCount) {
    throw new Error(`lab-topology: a lab has ${labSeedHostCount} to ${labMaxHostCount} hosts, not ${total}`);
  }
  const added = total - labSeedHostCount;
  const grown = Math.floor(added / 10);
  const sizes: Partial<Record<LabGroup, number>> = {
    vmstorage: Math.min(10, SEED_SIZES.vmstorage + grown),
    vmagent: Math.min(10, SEED_SIZES.vmagent + grown),
  };
  const hosts = seedGroups.flatMap(({ group, prefix, count, firstOctet }) => groupHosts(group, prefix, sizes[group] ?? count, firstOctet));
  const targets = total - hosts.length;
  return [
    ...hosts,
    ...Array.from({ length: targets }, (_, i) => ({ name: `target-${i + 1}`, address: `${subnetBase}.${101 + i}`, groups: ['node_exporter'] as LabGroup[] })),
  ];
}

/** The lab's size: VMHA_LAB_HOSTS (scale benchmarks, `npm run bench:deploy`), else the seed topology. */
export function labSizeFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return labSeedHostCount;
  const total = Number(value);
  if (!/^\d+$/.test(value) || total < labSeedHostCount || total > labMaxHostCount) {
    throw new Error(`VMHA_LAB_HOSTS=${value}: the lab takes a whole number of hosts from ${labSeedHostCount} to ${labMaxHostCount}`);
  }
  return total;
}

/** All lab hosts; every host also runs node_exporter. */
export const labHosts: readonly LabHost[] = labHostsOfSize(labSizeFromEnv(process.env.VMHA_LAB_HOSTS));

/** Every group of the inventory contract, in a stable order. */
export const labGroups: readonly LabGroup[] = [...seedGroups.map((g) => g.group), ...(Object.keys(sharedGroups) as LabGroup[]), ...everyHostGroups];

/** The lab host that runs the alert witness: a small webhook receiver (scripts/verify/alert-witness.ts). */
export const labAlertWitness = { host: 'grafana-1', port: 9095, path: '/alerts' } as const;

export function hostsInGroup(group: LabGroup, hosts: readonly LabHost[] = labHosts): LabHost[] {
  return hosts.filter((h) => h.groups.includes(group));
}

export function findHost(name: string, hosts: readonly LabHost[] = labHosts): LabHost {
  const host = hosts.find((h) => h.name === name);
  if (!host) throw new Error(`lab-topology: no lab host named '${name}' (known: ${hosts.map((h) => h.name).join(', ')})`);
  return host;
}

/** Ports the lab deploys with: the contract defaults of `vmha_ports` (the lab sets none). */
export const labPorts: Readonly<VmhaPorts> = DEFAULT_PORTS;

/** Port of the controller-side artifact mirror (`.cache/mirror/` over HTTP on loopback). */
export const labMirrorPort = 18480;
export const labMirrorUrl = `http://127.0.0.1:${labMirrorPort}`;

/** Cluster settings of the lab, written to `group_vars/all/vmha.yml` (contract names without `vmha_`). */
export const labClusterSettings = {
  scrape_interval: '5s',
  dedup_interval: '5s',
  retention: '2M',
  replication_factor: 2,
  write_dns_name: 'write.vmha.internal',
  read_dns_name: 'read.vmha.internal',
  auth_enabled: true,
  // TLS on both load balancer pairs, with a certificate from the lab's own CA (.lab/tls/).
  tls_enabled: true,
  firewall_enabled: true,
  manage_dns: true,
  victoriametrics_download_url: `${labMirrorUrl}/victoriametrics`,
  node_exporter_download_url: `${labMirrorUrl}/node_exporter`,
  alertmanager_download_url: `${labMirrorUrl}/alertmanager`,
  // The official Grafana package URL is not reachable from the lab: skip the install.
  grafana_package_url: '',
} as const;

/** Scheme of the write and read paths in the lab. */
export const labScheme = labClusterSettings.tls_enabled ? 'https' : 'http';

/** Prometheus remote-write base URL of the first write load balancer, by address. */
export function labWriteUrl(hosts: readonly LabHost[] = labHosts): string {
  const [lb] = hostsInGroup('lb_insert', hosts);
  if (!lb) throw new Error('lab-topology: no lb_insert host');
  return `${labScheme}://${lb.address}:${labPorts.lb_insert}/insert/0/prometheus`;
}

/** Prometheus query base URL of the first read load balancer, by address. */
export function labReadUrl(hosts: readonly LabHost[] = labHosts): string {
  const [lb] = hostsInGroup('lb_select', hosts);
  if (!lb) throw new Error('lab-topology: no lb_select host');
  return `${labScheme}://${lb.address}:${labPorts.lb_select}/select/0/prometheus`;
}

/** The lab's TLS files (in .lab/tls/): its own CA and one certificate for all load balancers. */
export const labTlsFiles = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'lb.crt', key: 'lb.key' } as const;

/** Names the load balancer certificate must carry: both DNS names and every balancer's address. */
export function labTlsSubjectAltNames(hosts: readonly LabHost[] = labHosts): string[] {
  const balancers = [...hostsInGroup('lb_insert', hosts), ...hostsInGroup('lb_select', hosts)];
  return [
    `DNS:${labClusterSettings.write_dns_name}`,
    `DNS:${labClusterSettings.read_dns_name}`,
    ...balancers.map((lb) => `IP:${lb.address}`),
  ];
}

/** True when `address` lies inside the lab subnet (a /24) and is neither network, gateway nor broadcast. */
export function isUsableLabAddress(address: string): boolean {
  const m = /^(\d+\.\d+\.\d+)\.(\d+)$/.exec(address);
  if (!m || m[1] !== subnetBase) return false;
  const last = Number(m[2]);
  return last > 1 && last < 255 && address !== labNetwork.gateway;
}

/** Repository of the lab base image; the tag is a hash of the recipe (scripts/lab-image/). */
export const labImageRepository = 'vmha-lab-base';

/** Image tag for a recipe: changes exactly when a recipe file's name or content changes. */
export function labImageTag(recipe: ReadonlyArray<{ name: string; content: string }>): string {
  const hash = createHash('sha256');
  for (const file of [...recipe].sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(`${file.name}\0${file.content}\0`);
  }
  return `${labImageRepository}:${hash.digest('hex').slice(0, 12)}`;
}

/**
 * The lab's backup destination: a SeaweedFS S3 server (Apache-2.0) on a host of its own, outside
 * the vmha inventory (an operator brings their own S3, GCS, Azure or NFS). `lab up` creates it
 * with the other hosts; scripts/lab-backup-store.ts installs and runs `weed mini` there.
 */
export const labBackupStore = {
  host: { name: 'backup-s3', address: `${subnetBase}.91`, groups: [] } as LabHost,
  s3Port: 8333,
  bucket: 'vmha-backups',
  accessKeyId: 'vmha-lab-backup',
} as const;

/** Lab hosts that are not in the vmha inventory (lab services). */
export const labServiceHosts: readonly LabHost[] = [labBackupStore.host];

/** The lab's backup settings (group_vars/all/vmha.yml; the secret key is in secrets.yml). */
export const labBackupSettings = {
  backup_destination: `s3://${labBackupStore.bucket}`,
  backup_s3_endpoint: `http://${labBackupStore.host.address}:${labBackupStore.s3Port}`,
  backup_s3_access_key_id: labBackupStore.accessKeyId,
} as const;
