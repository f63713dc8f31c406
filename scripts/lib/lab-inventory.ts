// Renders the lab inventory in the operator contract format (DEVELOPERS.md "The inventory
// contract"): hosts.yml, group_vars/all/vmha.yml and group_vars/all/secrets.yml. Pure: the
// caller writes the files and supplies the random bytes for the passwords.
import path from 'node:path';
import yaml from 'js-yaml';
import {
  labClusterSettings,
  labGroups,
  labTlsFiles,
  labHosts,
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
  ansible_connection: 'community.docker.docker';
  vmha_address: string;
}

interface InventoryGroup {
  hosts?: Record<string, LabHostVars>;
  children?: Record<string, null>;
}

export interface LabHostsInventory {
  all: { children: Partial<Record<LabGroup, InventoryGroup>> };
}

/** The lab's passwords. secrets.yml stores them as vault_vmha_* (the example inventory's pattern) and vmha.yml references those. */
export interface LabSecrets {
  vmha_write_password: string;
  vmha_read_password: string;
}

const generatedHeader = (what: string) =>
  `# Lab inventory (${what}), written by \`npm run lab -- up\` from scripts/lib/lab-topology.ts.\n` +
  '# Do not edit: the next `lab up` rewrites it.\n';

export function labHostVars(host: LabHost): LabHostVars {
  return { ansible_host: host.name, ansible_connection: 'community.docker.docker', vmha_address: host.address };
}

/**
 * hosts.yml as an object: each component group lists its hosts with their variables;
 * node_exporter (every host) is the union of the component groups, as in the example inventory.
 */
export function labHostsInventory(hosts: readonly LabHost[] = labHosts): LabHostsInventory {
  const children: Partial<Record<LabGroup, InventoryGroup>> = {};
  for (const group of labGroups) {
    if (group === 'node_exporter') continue;
    const members = hostsInGroup(group, hosts);
    children[group] = { hosts: Object.fromEntries(members.map((h) => [h.name, labHostVars(h)])) };
  }
  const componentGroups = labGroups.filter((g) => g !== 'node_exporter');
  const everyHostCovered = hostsInGroup('node_exporter', hosts).every((h) =>
    h.groups.some((g) => g !== 'node_exporter'),
  );
  if (!everyHostCovered) throw new Error('lab-inventory: a node_exporter host belongs to no component group');
  children.node_exporter = { children: Object.fromEntries(componentGroups.map((g) => [g, null])) };
  return { all: { children } };
}

/**
 * group_vars/all/vmha.yml as an object: the lab's cluster settings under their `vmha_` names.
 * `tlsDir` is the controller directory holding the lab's TLS files (labTlsFiles).
 */
export function labClusterVars(tlsDir: string): Record<string, string | number | boolean> {
  const vars: Record<string, string | number | boolean> = Object.fromEntries(
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
  return vars;
}

const dump = (value: unknown) => yaml.dump(value, { lineWidth: -1, noRefs: true, sortKeys: false });

export function renderLabHostsYaml(hosts: readonly LabHost[] = labHosts): string {
  return generatedHeader('hosts') + dump(labHostsInventory(hosts)).replace(/: null$/gm, ':');
}

export function renderLabClusterVarsYaml(tlsDir: string): string {
  return generatedHeader('cluster settings') + dump(labClusterVars(tlsDir));
}

/** Strong password from random bytes: 24 bytes -> 32 URL-safe base64 characters. */
export function passwordFromBytes(bytes: Uint8Array): string {
  if (bytes.length < 18) throw new Error('lab-inventory: a password needs at least 18 random bytes');
  return Buffer.from(bytes).toString('base64url');
}

export function newLabSecrets(randomBytes: (size: number) => Uint8Array): LabSecrets {
  return {
    vmha_write_password: passwordFromBytes(randomBytes(24)),
    vmha_read_password: passwordFromBytes(randomBytes(24)),
  };
}

export function renderLabSecretsYaml(secrets: LabSecrets): string {
  return (
    '# Lab credentials, generated once by `npm run lab -- up` and kept across runs (mode 0600).\n' +
    '# Delete this file and run `lab up` again for new ones (then redeploy).\n' +
    dump({ vault_vmha_write_password: secrets.vmha_write_password, vault_vmha_read_password: secrets.vmha_read_password })
  );
}

/**
 * Reads an existing secrets.yml. Returns undefined when it lacks a usable password (then the
 * caller generates new ones); throws with the file name when it is not YAML at all.
 */
export function parseLabSecrets(text: string, fileName: string): LabSecrets | undefined {
  let data: unknown;
  try {
    data = yaml.load(text);
  } catch (err) {
    throw new Error(`${fileName}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const { vault_vmha_write_password: write, vault_vmha_read_password: read } = data as Record<string, unknown>;
  const strong = (p: unknown): p is string => typeof p === 'string' && p.length >= 16;
  return strong(write) && strong(read) ? { vmha_write_password: write, vmha_read_password: read } : undefined;
}
