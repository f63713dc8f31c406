// Topology and security rules over a loaded inventory model. Pure; every rule is O(hosts).
import type { Finding, HostModel, InventoryModel } from './model.js';
import { COMPONENT_SECRET_KEYS, CREDENTIAL_KEYS, GROUPS, IPV4_PATTERN, type GroupName, type VmhaPorts } from './schema.js';
import { VAULT_PREFIX } from './yaml-source.js';

/** Minimum members of every group (HA: each tier survives the loss of one host). */
export const MIN_GROUP_SIZE: Record<GroupName, number> = {
  vmstorage: 1,
  vminsert: 2,
  vmselect: 2,
  vmagent: 2,
  lb_insert: 2,
  lb_select: 2,
  node_exporter: 1,
  grafana: 1,
};

/** The ports each group's component listens on (keys of vmha_ports). */
export const GROUP_PORTS: Record<GroupName, (keyof VmhaPorts)[]> = {
  vmstorage: ['vmstorage_insert', 'vmstorage_select', 'vmstorage_http'],
  vminsert: ['vminsert_http'],
  vmselect: ['vmselect_http'],
  vmagent: ['vmagent_http'],
  lb_insert: ['lb_insert'],
  lb_select: ['lb_select'],
  node_exporter: ['node_exporter'],
  grafana: ['grafana'],
};

export const MIN_PASSWORD_LENGTH = 16;
const WEAK_WORDS = [
  'password', 'passwort', 'passw', 'changeme', 'change', 'secret', 'admin', 'administrator', 'root', 'qwerty',
  'qwertz', 'azerty', 'letmein', 'welcome', 'default', 'example', 'test', 'guest', 'login', 'master', 'abc',
  'abcdef', 'iloveyou', 'monkey', 'dragon', 'vmha', 'victoriametrics', 'victoria', 'metrics', 'prometheus',
  'grafana', 'nginx', 'vmagent', 'vminsert', 'vmselect', 'write', 'read', 'user', 'insecure', 'vault',
];

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
export function durationMs(value: string): number | undefined {
  const m = /^([1-9][0-9]*)(ms|s|m|h)$/.exec(value);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

// VictoriaMetrics counts a month as 31 days and a year as 365 days.
const RETENTION_HOURS: Record<string, number> = { h: 1, d: 24, w: 168, M: 744, y: 8760 };
export function retentionHours(value: string): number | undefined {
  const m = /^([1-9][0-9]*)(h|d|w|M|y)$/.exec(value);
  return m ? Number(m[1]) * RETENTION_HOURS[m[2]!]! : undefined;
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const IPV4 = new RegExp(IPV4_PATTERN);
const LIST_LIMIT = 5;

export const isTemplated = (value: string) => value.includes('{{') || value.includes('{%');
export const isVaulted = (value: string) => value.startsWith(VAULT_PREFIX);

function listSome(items: string[]): string {
  if (items.length <= LIST_LIMIT) return items.join(', ');
  return `${items.slice(0, LIST_LIMIT).join(', ')} and ${items.length - LIST_LIMIT} more`;
}

/** Why a password is weak, or undefined when it looks strong enough. */
export function passwordWeakness(password: string, username: string | undefined): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `it has ${password.length} characters, fewer than ${MIN_PASSWORD_LENGTH}`;
  const lower = password.toLowerCase();
  if (username !== undefined && lower.includes(username.toLowerCase()) && username.length >= 3)
    return 'it contains the user name';
  if (/^(.)\1*$/.test(password)) return 'it repeats one character';
  const letters = lower.replace(/[^a-z]/g, '');
  if (letters.length === 0) return 'it has no letters (digits and symbols only)';
  for (const word of WEAK_WORDS) {
    if (letters.length % word.length === 0 && word.repeat(letters.length / word.length) === letters)
      return `it is built from the well-known word "${word}"`;
  }
  if (new Set(lower).size < 6) return 'it uses fewer than 6 distinct characters';
  return undefined;
}

export function checkRules(model: InventoryModel): Finding[] {
  const findings: Finding[] = [];
  const hostsPath = model.hostsFile.path;
  const hostsLine = (path: string[]) => model.hostsFile.lineOf(path) ?? null;
  const groupLine = (g: GroupName) => hostsLine(['all', 'children', g]);
  const hostLine = (h: HostModel) => h.line;
  const settingAt = (key: string) => {
    const origin = model.settingOrigin.get(key);
    return origin ?? { file: model.settingsFile, line: null };
  };
  const add = (f: Finding) => findings.push(f);
  const error = (file: string, line: number | null, rule: string, message: string, fix: string) =>
    add({ severity: 'error', file, line, rule, message, fix });
  const warn = (file: string, line: number | null, rule: string, message: string, fix: string) =>
    add({ severity: 'warning', file, line, rule, message, fix });
  const { settings, members } = model;

  // groups present and HA-sized
  for (const group of GROUPS) {
    const count = members[group].length;
    const min = MIN_GROUP_SIZE[group];
    if (!model.presentGroups.has(group)) {
      error(hostsPath, hostsLine(['all', 'children']), 'groups-ha-sized', `group ${group} is missing`,
        `add "${group}:" with at least ${min} host(s) under all.children`);
    } else if (count < min) {
      error(hostsPath, groupLine(group), 'groups-ha-sized',
        `group ${group} has ${count} host(s); high availability needs at least ${min}`,
        `add ${min - count} more host(s) to ${group}`);
    }
  }

  // every host has an IPv4 address, and no two hosts share one
  const byAddress = new Map<string, HostModel>();
  for (const host of model.hosts.values()) {
    if (host.address === undefined) {
      const given = host.vars.vmha_address ?? host.vars.ansible_host;
      error(hostsPath, hostLine(host), 'host-address',
        given === undefined
          ? `host ${host.name} has no address`
          : `host ${host.name}: ansible_host "${given}" is not an IPv4 address`,
        `set vmha_address (IPv4 other components use) or ansible_host to the host's IPv4 address`);
      continue;
    }
    const other = byAddress.get(host.address);
    if (other) {
      error(hostsPath, hostLine(host), 'unique-addresses',
        `hosts ${other.name} and ${host.name} both have address ${host.address}`,
        'give every host its own address (one host may be listed in several groups instead)');
    } else byAddress.set(host.address, host);
  }

  // no two components on one host listen on the same port
  const clashes = new Map<string, { hosts: HostModel[]; port: number }>();
  for (const host of model.hosts.values()) {
    const used = new Map<number, keyof VmhaPorts>();
    for (const group of GROUPS) {
      if (!host.groups.has(group)) continue;
      for (const key of GROUP_PORTS[group]) {
        const port = settings.ports[key];
        const first = used.get(port);
        if (first !== undefined && first !== key) {
          const id = `${first}|${key}`;
          const entry = clashes.get(id) ?? { hosts: [], port };
          entry.hosts.push(host);
          clashes.set(id, entry);
        } else used.set(port, key);
      }
    }
  }
  for (const [id, { hosts, port }] of clashes) {
    const [a, b] = id.split('|');
    error(hostsPath, hostLine(hosts[0]!), 'port-clash',
      `vmha_ports.${a} and vmha_ports.${b} are both ${port} on ${listSome(hosts.map((h) => h.name))}`,
      `move one of the two components to another host, or change vmha_ports.${b} in ${settingAt('vmha_ports').file}`);
  }

  // replication factor
  const rf = settings.replicationFactor;
  const storages = members.vmstorage.length;
  const rfAt = settingAt('vmha_replication_factor');
  if (model.presentGroups.has('vmstorage') && storages >= 1) {
    if (rf > storages) {
      error(rfAt.file, rfAt.line, 'replication-factor',
        `vmha_replication_factor is ${rf} but there are only ${storages} vmstorage host(s) (used by vminsert and vmselect)`,
        `add vmstorage hosts (at least ${rf}) or lower vmha_replication_factor to ${storages}`);
    } else if (storages < 2 * rf - 1) {
      warn(rfAt.file, rfAt.line, 'replication-factor',
        `${storages} vmstorage host(s) with replication factor ${rf}: while one is down, new data keeps fewer than ${rf} copies (needs ${2 * rf - 1} hosts)`,
        `add ${2 * rf - 1 - storages} vmstorage host(s)`);
    }
  }

  // dedup interval equals scrape interval
  const scrape = durationMs(settings.scrapeInterval);
  const dedup = durationMs(settings.dedupInterval);
  if (scrape !== undefined && dedup !== undefined && scrape !== dedup) {
    const at = model.settingOrigin.has('vmha_dedup_interval') ? settingAt('vmha_dedup_interval') : settingAt('vmha_scrape_interval');
    error(at.file, at.line, 'dedup-interval',
      `vmha_dedup_interval (${settings.dedupInterval}) differs from vmha_scrape_interval (${settings.scrapeInterval}); the vmagent replicas' duplicate samples would not be removed`,
      `set vmha_dedup_interval: ${settings.scrapeInterval}`);
  }

  // retention at least 24h
  const hours = retentionHours(settings.retention);
  if (hours !== undefined && hours < 24) {
    const at = settingAt('vmha_retention');
    error(at.file, at.line, 'retention', `vmha_retention ${settings.retention} is shorter than 24h`,
      'set vmha_retention to at least 24h, e.g. 30d or 2M');
  }

  // one pinned version: warn when it is not the version the project pins and tests
  if (model.raw.vmha_version !== undefined && model.raw.vmha_version !== model.pins.victoriametrics.version) {
    const at = settingAt('vmha_version');
    warn(at.file, at.line, 'pinned-version',
      `vmha_version ${model.raw.vmha_version} differs from ${model.pins.victoriametrics.version} pinned in ansible/versions.yml`,
      'remove vmha_version to use the pinned version, or make sure the release exists for every component');
  }

  // vmagent cluster member numbers
  const agents = members.vmagent;
  const numbered = agents.filter((h) => h.vars.vmha_vmagent_member_num !== undefined);
  for (const host of model.hosts.values()) {
    if (host.vars.vmha_vmagent_member_num !== undefined && !host.groups.has('vmagent')) {
      error(hostsPath, hostsLine([...hostPathOf(model, host), 'vmha_vmagent_member_num']), 'vmagent-member-num',
        `host ${host.name} sets vmha_vmagent_member_num but is not in the vmagent group`,
        'remove vmha_vmagent_member_num from that host');
    }
  }
  if (numbered.length > 0 && numbered.length < agents.length) {
    const missing = agents.filter((h) => h.vars.vmha_vmagent_member_num === undefined);
    error(hostsPath, hostLine(missing[0]!), 'vmagent-member-num',
      `vmha_vmagent_member_num is set on ${numbered.length} of ${agents.length} vmagent hosts; missing on ${listSome(missing.map((h) => h.name))}`,
      'set it on every vmagent host (unique, 0..N-1) or on none (then hosts are numbered by name)');
  } else if (numbered.length > 0) {
    const byNum = new Map<number, HostModel>();
    for (const host of agents) {
      const num = host.vars.vmha_vmagent_member_num!;
      const at = hostsLine([...hostPathOf(model, host), 'vmha_vmagent_member_num']);
      const other = byNum.get(num);
      if (other) {
        error(hostsPath, at, 'vmagent-member-num', `vmagent hosts ${other.name} and ${host.name} both have member number ${num}`,
          `number the ${agents.length} vmagent hosts 0..${agents.length - 1}, each once`);
      } else if (num >= agents.length) {
        error(hostsPath, at, 'vmagent-member-num',
          `vmagent host ${host.name} has member number ${num}, outside 0..${agents.length - 1}`,
          `number the ${agents.length} vmagent hosts 0..${agents.length - 1}, each once`);
      }
      byNum.set(num, host);
    }
  }

  // DNS names of the write and read paths
  const dnsNames: [key: 'vmha_write_dns_name' | 'vmha_read_dns_name', name: string | undefined, group: GroupName][] = [
    ['vmha_write_dns_name', settings.writeDnsName, 'lb_insert'],
    ['vmha_read_dns_name', settings.readDnsName, 'lb_select'],
  ];
  for (const [key, name, group] of dnsNames) {
    const at = settingAt(key);
    if (name === undefined || name === '') {
      error(at.file, at.line, 'dns-names', `${key} is not set`,
        `add ${key}: a DNS name that resolves to the ${group} hosts, e.g. ${key === 'vmha_write_dns_name' ? 'vm-write' : 'vm-read'}.example.internal`);
      continue;
    }
    if (IPV4.test(name) || !HOSTNAME.test(name)) {
      error(at.file, at.line, 'dns-names', `${key} "${name}" is not a DNS name`,
        `set ${key} to a DNS name (letters, digits, hyphens, dots) that resolves to the ${group} hosts`);
      continue;
    }
    const host = model.hosts.get(name);
    if (host && !host.groups.has(group)) {
      error(at.file, at.line, 'dns-names', `${key} "${name}" is the inventory host ${host.name}, which is not in ${group}`,
        `choose a name that resolves to all ${group} hosts`);
    }
    if (!settings.manageDns) {
      warn(at.file, at.line, 'dns-names',
        `vmha_manage_dns is false: vmha cannot check that ${name} resolves to the ${group} hosts`,
        `make sure the site DNS has ${name} -> ${listSome(members[group].map((h) => h.address ?? h.name))}`);
    }
  }
  if (settings.writeDnsName && settings.writeDnsName === settings.readDnsName) {
    const at = settingAt('vmha_read_dns_name');
    error(at.file, at.line, 'dns-names', `the write and read DNS names are both "${settings.writeDnsName}"`,
      'use one name for lb_insert (write) and another for lb_select (read)');
  }

  // security: credentials
  if (settings.authEnabled) {
    for (const key of CREDENTIAL_KEYS) {
      const value = settings.credentials[key];
      const at = settingAt(key);
      const isPassword = key.endsWith('_password');
      if (value === undefined || value === '') {
        error(at.file, at.line, 'credentials', `${key} is not set (vmha_auth_enabled is true)`,
          isPassword
            ? `add ${key}: "{{ vault_${key} }}" and keep the value in an ansible-vault file (see vault.yml.example)`
            : `add ${key}, e.g. ${key.includes('write') ? 'vmagent' : 'grafana'}`);
        continue;
      }
      if (isTemplated(value) || isVaulted(value)) continue; // provided; strength cannot be checked here
      if (!isPassword) {
        if (!/^[A-Za-z0-9._@-]+$/.test(value)) {
          error(at.file, at.line, 'credentials', `${key} "${value}" contains characters a basic-auth user name cannot hold`,
            'use letters, digits, ".", "_", "-", "@"');
        }
        continue;
      }
      const userKey = key.replace('_password', '_username') as (typeof CREDENTIAL_KEYS)[number];
      const user = settings.credentials[userKey];
      const username = user !== undefined && !isTemplated(user) && !isVaulted(user) ? user : undefined;
      const weakness = passwordWeakness(value, username);
      if (weakness) {
        error(at.file, at.line, 'credentials', `${key} is weak: ${weakness}`,
          `use a random password of at least ${MIN_PASSWORD_LENGTH} characters (e.g. \`openssl rand -base64 24\`), kept in ansible-vault`);
      } else {
        warn(at.file, at.line, 'credentials', `${key} is written in clear text`,
          `move it to an ansible-vault file and reference it: ${key}: "{{ vault_${key} }}"`);
      }
    }
    // security: every component endpoint has its own strong secret (backend passwords, admin keys)
    const seen = new Map<string, string>();
    for (const key of COMPONENT_SECRET_KEYS) {
      const value = settings.componentSecrets[key];
      const at = settingAt(key);
      if (value === undefined || value === '') {
        error(at.file, at.line, 'component-credentials',
          `${key} is not set (vmha_auth_enabled is true): ${componentSecretPurpose(key)} would be open to every host the firewall lets in`,
          `add ${key}: "{{ vault_${key} }}" and keep the value (\`openssl rand -base64 24\`) in an ansible-vault file (see vault.yml.example)`);
        continue;
      }
      const other = seen.get(value);
      if (other !== undefined) {
        error(at.file, at.line, 'component-credentials', `${key} has the same value as ${other}`,
          `give ${key} its own secret: whoever holds one key must not be able to use the other endpoint`);
      } else seen.set(value, key);
      if (isTemplated(value) || isVaulted(value)) continue; // provided; strength cannot be checked here
      const weakness = passwordWeakness(value, undefined);
      if (weakness) {
        error(at.file, at.line, 'component-credentials', `${key} is weak: ${weakness}`,
          `use a random key of at least ${MIN_PASSWORD_LENGTH} characters (e.g. \`openssl rand -base64 24\`), kept in ansible-vault`);
      } else {
        warn(at.file, at.line, 'component-credentials', `${key} is written in clear text`,
          `move it to an ansible-vault file and reference it: ${key}: "{{ vault_${key} }}"`);
      }
    }
    for (const key of CREDENTIAL_KEYS.filter((k) => k.endsWith('_password'))) {
      const value = settings.credentials[key];
      const other = value !== undefined && value !== '' ? seen.get(value) : undefined;
      if (other !== undefined) {
        const at = settingAt(other);
        error(at.file, at.line, 'component-credentials', `${other} has the same value as ${key}`,
          `give ${other} its own secret: a client of the load balancers must not hold a component's secret`);
      }
    }
  } else {
    const at = settingAt('vmha_auth_enabled');
    warn(at.file, at.line, 'auth-disabled',
      'vmha_auth_enabled is false: anyone who reaches the load balancers can write and read metrics, and every component endpoint (delete, snapshots, force merge) is open to the hosts the firewall lets in',
      'set vmha_auth_enabled: true and provide the load balancer credentials and the component secrets');
  }
  if (!settings.firewallEnabled) {
    const at = settingAt('vmha_firewall_enabled');
    warn(at.file, at.line, 'firewall-disabled', 'vmha_firewall_enabled is false: every component port is open to every network',
      'set vmha_firewall_enabled: true');
  }
  if (settings.tlsEnabled) {
    for (const key of ['vmha_tls_cert_file', 'vmha_tls_key_file'] as const) {
      const value = key === 'vmha_tls_cert_file' ? settings.tlsCertFile : settings.tlsKeyFile;
      if (!value) {
        const at = settingAt('vmha_tls_enabled');
        error(at.file, at.line, 'tls-files', `vmha_tls_enabled is true but ${key} is not set`,
          `set ${key} to the PEM file's path on the controller`);
      }
    }
  }
  return findings;
}

/** What a component secret protects (for error messages). */
export function componentSecretPurpose(key: (typeof COMPONENT_SECRET_KEYS)[number]): string {
  const purposes: Record<(typeof COMPONENT_SECRET_KEYS)[number], string> = {
    vmha_vminsert_password: 'writes straight to vminsert',
    vmha_vmselect_password: 'reads straight from vmselect',
    vmha_vmstorage_password: "vmstorage's HTTP routes",
    vmha_metrics_auth_key: 'every component /metrics page',
    vmha_delete_auth_key: 'series deletion on vmselect',
    vmha_snapshot_auth_key: 'snapshot creation and deletion on vmstorage',
    vmha_force_merge_auth_key: 'forced merges on vmstorage',
    vmha_force_flush_auth_key: 'forced flushes on vmstorage',
    vmha_reset_cache_auth_key: "vmselect's cache reset",
    vmha_pprof_auth_key: 'the profiling endpoints (/debug/pprof)',
    vmha_flags_auth_key: 'the /flags pages',
  };
  return purposes[key];
}

/** Key path of the place in hosts.yml where the host's variables are written. */
function hostPathOf(model: InventoryModel, host: HostModel): string[] {
  for (const group of GROUPS) {
    const path = ['all', 'children', group, 'hosts', host.name];
    if (model.hostsFile.lineOf([...path, 'vmha_vmagent_member_num']) !== model.hostsFile.lineOf(path)) return path;
  }
  return ['all', 'children', 'vmagent', 'hosts', host.name];
}
