// Renders the lab inventory in the operator contract format (DEVELOPERS.md "The inventory
// contract"): hosts.yml, group_vars/all/vmha.yml and group_vars/all/secrets.yml. Pure: the
// caller writes the files and supplies the random bytes for the passwords.
import path from 'node:path';
import yaml from 'js-yaml';
import { COMPONENT_SECRET_KEYS } from './inventory/schema.js';
import {
  labClusterSettings,
  labGroups,
  labTlsFiles,
  labHosts,
  labBackupSettings,
  labAlertWitness,
  findHost,
  hostsInGroup,
  type LabGroup,
  type LabHost,
} from './lab-topology.js';

/** Paths of the lab inventory files, relative to the inventory directory. */
export const labInventoryFiles = {
  hosts: 'hosts.yml',
  settings: 'group_vars/all/vmha.yml',
  secrets: 'group_vars/all/secrets.yml',
} as const;

export interface LabHostVars {
  ansible_host: string;
  ansible_user: 'root';
  ansible_ssh_private_key_file: string;
  ansible_ssh_common_args: string;
  vmha_address: string;
}

/**
 * The lab's hosts are throwaway containers that share the base image's host key: keep their keys
 * out of the operator's ~/.ssh/known_hosts (a real site's inventory checks host keys).
 */
export const LAB_SSH_COMMON_ARGS = '-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR';

interface InventoryGroup {
  hosts?: Record<string, LabHostVars>;
  children?: Record<string, null>;
}

export interface LabHostsInventory {
  all: { children: Partial<Record<LabGroup, InventoryGroup>> };
}

/** Every secret of the lab: the load balancer passwords and the component secrets (COMPONENT_SECRET_KEYS). */
export const LAB_SECRET_KEYS = ['vmha_write_password', 'vmha_read_password', ...COMPONENT_SECRET_KEYS, 'vmha_backup_s3_secret_access_key'] as const;
export type LabSecretKey = (typeof LAB_SECRET_KEYS)[number];

/** The lab's secrets. secrets.yml stores them as vault_vmha_* (the example inventory's pattern) and vmha.yml references those. */
export type LabSecrets = Record<LabSecretKey, string>;

const generatedHeader = (what: string) =>
  `# Lab inventory (${what}), written by \`npm run lab -- up\` from scripts/lib/lab-topology.ts.\n` +
  '# Do not edit: the next `lab up` rewrites it.\n';

/** A lab host is reached as a VM is: over SSH at its address, as root, with the lab's key. */
export function labHostVars(host: LabHost, sshKeyFile: string): LabHostVars {
  return {
    ansible_host: host.address,
    ansible_user: 'root',
    ansible_ssh_private_key_file: sshKeyFile,
    ansible_ssh_common_args: LAB_SSH_COMMON_ARGS,
    vmha_address: host.address,
  };
}

/**
 * hosts.yml as an object: each component group lists its hosts with their variables;
 * node_exporter (every host) is the union of the component groups, as in the example inventory.
 */
export function labHostsInventory(sshKeyFile: string, hosts: readonly LabHost[] = labHosts): LabHostsInventory {
  const children: Partial<Record<LabGroup, InventoryGroup>> = {};
  for (const group of labGroups) {
    if (group === 'node_exporter') continue;
    const members = hostsInGroup(group, hosts);
    children[group] = { hosts: Object.fromEntries(members.map((h) => [h.name, labHostVars(h, sshKeyFile)])) };
  }
  const componentGroups = labGroups.filter((g) => g !== 'node_exporter');
  // plain scrape targets (a scaled lab's target-N) run node_exporter only
  const plainTargets = hostsInGroup('node_exporter', hosts).filter((h) => h.groups.length === 1);
  children.node_exporter = {
    ...(plainTargets.length ? { hosts: Object.fromEntries(plainTargets.map((h) => [h.name, labHostVars(h, sshKeyFile)])) } : {}),
    children: Object.fromEntries(componentGroups.map((g) => [g, null])),
  };
  return { all: { children } };
}

/**
 * group_vars/all/vmha.yml as an object: the lab's cluster settings under their `vmha_` names.
 * `tlsDir` is the controller directory holding the lab's TLS files (labTlsFiles).
 */
export function labClusterVars(tlsDir: string): Record<string, string | number | boolean | string[]> {
  const vars: Record<string, string | number | boolean | string[]> = Object.fromEntries(
    Object.entries(labClusterSettings).map(([key, value]) => [`vmha_${key}`, value]),
  );
  if (labClusterSettings.tls_enabled) {
    vars.vmha_tls_cert_file = path.join(tlsDir, labTlsFiles.cert);
    vars.vmha_tls_key_file = path.join(tlsDir, labTlsFiles.key);
    vars.vmha_tls_ca_file = path.join(tlsDir, labTlsFiles.caCert);
  }
  // The passwords themselves live in secrets.yml next to this file.
  vars.vmha_write_username = 'vmagent';
  vars.vmha_write_password = '{{ vault_vmha_write_password }}';
  vars.vmha_read_username = 'grafana';
  vars.vmha_read_password = '{{ vault_vmha_read_password }}';
  for (const key of COMPONENT_SECRET_KEYS) vars[key] = `{{ vault_${key} }}`;
  // Backups of every vmstorage go to the lab's S3 server (labBackupStore).
  for (const [key, value] of Object.entries(labBackupSettings)) vars[`vmha_${key}`] = value;
  vars.vmha_backup_s3_secret_access_key = '{{ vault_vmha_backup_s3_secret_access_key }}';
  // The alertmanagers notify the lab's alert witness (scripts/verify/alerting.ts installs it).
  const witness = findHost(labAlertWitness.host);
  vars.vmha_alert_webhook_urls = [`http://${witness.address}:${labAlertWitness.port}${labAlertWitness.path}`];
  return vars;
}

const dump = (value: unknown) => yaml.dump(value, { lineWidth: -1, noRefs: true, sortKeys: false });

/** `sshKeyFile` is the controller path of the lab's private SSH key (lab up makes it). */
export function renderLabHostsYaml(sshKeyFile: string, hosts: readonly LabHost[] = labHosts): string {
  return generatedHeader('hosts') + dump(labHostsInventory(sshKeyFile, hosts)).replace(/: null$/gm, ':');
}

export function renderLabClusterVarsYaml(tlsDir: string): string {
  return generatedHeader('cluster settings') + dump(labClusterVars(tlsDir));
}

/** Strong password from random bytes: 24 bytes -> 32 URL-safe base64 characters. */
export function passwordFromBytes(bytes: Uint8Array): string {
  if (bytes.length < 18) throw new Error('lab-inventory: a password needs at least 18 random bytes');
  return Buffer.from(bytes).toString('base64url');
}

/** Every lab secret: those of `existing` kept, the missing ones new (24 random bytes each). */
export function newLabSecrets(randomBytes: (size: number) => Uint8Array, existing: Partial<LabSecrets> = {}): LabSecrets {
  return Object.fromEntries(
    LAB_SECRET_KEYS.map((key) => [key, existing[key] ?? passwordFromBytes(randomBytes(24))]),
  ) as LabSecrets;
}

export function renderLabSecretsYaml(secrets: LabSecrets): string {
  return (
    '# Lab credentials, generated once by `npm run lab -- up` and kept across runs (mode 0600).\n' +
    '# Delete this file and run `lab up` again for new ones (then redeploy).\n' +
    dump(Object.fromEntries(LAB_SECRET_KEYS.map((key) => [`vault_${key}`, secrets[key]])))
  );
}

/**
 * Reads the strong (>= 16 characters) secrets of an existing secrets.yml; missing or weak ones
 * are left out (the caller generates them). Throws with the file name when it is not YAML at all.
 */
export function parsePartialLabSecrets(text: string, fileName: string): Partial<LabSecrets> {
  let data: unknown;
  try {
    data = yaml.load(text);
  } catch (err) {
    throw new Error(`${fileName}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (typeof data !== 'object' || data === null) return {};
  const values = data as Record<string, unknown>;
  const out: Partial<LabSecrets> = {};
  for (const key of LAB_SECRET_KEYS) {
    const value = values[`vault_${key}`];
    if (typeof value === 'string' && value.length >= 16) out[key] = value;
  }
  return out;
}

/** Reads an existing secrets.yml; undefined when a secret is missing or weak (then the caller completes it). */
export function parseLabSecrets(text: string, fileName: string): LabSecrets | undefined {
  const secrets = parsePartialLabSecrets(text, fileName);
  return LAB_SECRET_KEYS.every((key) => secrets[key] !== undefined) ? (secrets as LabSecrets) : undefined;
}
