// Topology and security rules over a loaded inventory model. Pure; every rule is O(hosts).
import type { Finding, HostModel, InventoryModel } from './model.js';
import { COMPONENT_SECRET_KEYS, CREDENTIAL_KEYS, DEFAULT_PORTS, GROUPS, IPV4_PATTERN, OPTIONAL_GROUPS, type GroupName, type VmhaPorts } from './schema.js';
import { VAULT_PREFIX } from './yaml-source.js';

/** Minimum members of every group (HA: each tier survives the loss of one host). */
export const MIN_GROUP_SIZE: Record<GroupName, number> = {
  vmstorage: 2,
  vminsert: 2,
  vmselect: 2,
  vmagent: 2,
  lb_insert: 2,
  lb_select: 2,
  node_exporter: 1,
  grafana: 1,
  // optional groups (OPTIONAL_GROUPS): when present, a pair
  vmalert: 2,
  alertmanager: 2,
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
  vmalert: ['vmalert_http'],
  alertmanager: ['alertmanager_http', 'alertmanager_cluster'],
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
/** lib/flagutil/duration.go: maxMonths = 12 * 100; a month is 31 days (msecsPer31Days). */
export const MAX_RETENTION_MONTHS = 1200;
/** Whether vmstorage's -retentionPeriod parser takes this value (M: months <= 1200; else whole 31-day months <= 1200). */
export function retentionAcceptedByVictoriaMetrics(value: string): boolean {
  const m = /^([1-9][0-9]*)(h|d|w|M|y)$/.exec(value);
  if (!m) return false;
  if (m[2] === 'M') return Number(m[1]) <= MAX_RETENTION_MONTHS;
  return Math.floor(retentionHours(value)! / 744) <= MAX_RETENTION_MONTHS;
}

export function retentionHours(value: string): number | undefined {
  const m = /^([1-9][0-9]*)(h|d|w|M|y)$/.exec(value);
  return m ? Number(m[1]) * RETENTION_HOURS[m[2]!]! : undefined;
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const IPV4 = new RegExp(IPV4_PATTERN);
const LIST_LIMIT = 5;

export const isTemplated = (value: string) => value.includes('{{') || value.includes('{%');
export const isVaulted = (value: string) => value.startsWith(VAULT_PREFIX);

/** Why an address cannot be reached from other hosts, or undefined. */
export function localAddress(address: string): string | undefined {
  if (address === '0.0.0.0' || address.startsWith('0.')) return 'the "any address" of a listener, not a host';
  if (address.startsWith('127.')) return 'a loopback address (every host is 127.x to itself)';
  if (address === '255.255.255.255') return 'the broadcast address';
  const first = Number(address.split('.')[0]);
  if (first >= 224) return first < 240 ? 'a multicast address' : 'a reserved address';
  return undefined;
}

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
  const groupLine = (g: GroupName) => model.hostsIndex.groupLine.get(g) ?? null;
  const firstLine = () => {
    const lines = [...model.hostsIndex.groupLine.values()];
    return lines.length > 0 ? Math.min(...lines) : null;
  };
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

  const spofAllowed = settings.allowSinglePointsOfFailure;
  const spofAt = settingAt('vmha_allow_single_points_of_failure');
  const spof = (file: string, line: number | null, rule: string, message: string, fix: string) => {
    if (spofAllowed) warn(file, line, rule, `${message} (accepted: vmha_allow_single_points_of_failure is true)`, fix);
    else
      error(file, line, rule, `${message}: a single point of failure`,
        `${fix}; a test setup that accepts the outage can say so with vmha_allow_single_points_of_failure: true in ${spofAt.file}`);
  };

  // groups present and HA-sized
  for (const group of GROUPS) {
    const count = members[group].length;
    const min = MIN_GROUP_SIZE[group];
    if (!model.presentGroups.has(group) && OPTIONAL_GROUPS.includes(group)) continue;
    if (!model.presentGroups.has(group)) {
      error(hostsPath, firstLine(), 'groups-ha-sized', `group ${group} is missing`,
        group === 'node_exporter'
          ? 'add a group "node_exporter" whose children are every other vmha group (see ansible/inventories/example/hosts.yml)'
          : `add a group "${group}" with at least ${min} host(s), e.g. ${group}: {hosts: {${group.replace('_', '-')}-1: {ansible_host: 10.0.0.x}${min > 1 ? `, ${group.replace('_', '-')}-2: {ansible_host: 10.0.0.y}` : ''}}}`);
    } else if (count === 0) {
      error(hostsPath, groupLine(group), 'groups-ha-sized', `group ${group} has no hosts`,
        `add at least ${min} host(s) to ${group}`);
    } else if (count < min) {
      spof(hostsPath, groupLine(group), 'groups-ha-sized',
        `group ${group} has ${count} host; high availability needs at least ${min}`,
        `add ${min - count} more host(s) to ${group}`);
    }
  }

  // alerting: vmalert needs alertmanagers to notify and alertmanagers need vmalert to feed them
  const hasVmalert = model.presentGroups.has('vmalert');
  const hasAlertmanager = model.presentGroups.has('alertmanager');
  if (hasVmalert !== hasAlertmanager) {
    const [present, missing] = hasVmalert ? ['vmalert', 'alertmanager'] : ['alertmanager', 'vmalert'];
    error(hostsPath, groupLine(present as GroupName), 'alerting-pair',
      `group ${present} is set but group ${missing} is missing: alerting needs both (vmalert evaluates the rules, alertmanager deduplicates and sends the notifications)`,
      `add a group "${missing}" with 2 hosts (they may be the ${present} hosts), or remove the group ${present}`);
  }

  // every host has a usable IPv4 address, and no two hosts share one
  const byAddress = new Map<string, HostModel>();
  for (const host of model.hosts.values()) {
    const given = host.vars.vmha_address ?? host.vars.ansible_host;
    const at = host.vars.vmha_address !== undefined ? model.hostVarAt(host.name, 'vmha_address')
      : host.vars.ansible_host !== undefined ? model.hostVarAt(host.name, 'ansible_host') : { file: hostsPath, line: hostLine(host) };
    if (host.address === undefined) {
      const ipv6 = given !== undefined && given.includes(':');
      error(at.file, at.line, 'host-address',
        given === undefined
          ? `host ${host.name} has no address (its name is not an IPv4 address and neither vmha_address nor ansible_host is set)`
          : ipv6
            ? `host ${host.name}: "${given}" is an IPv6 address; vmha supports IPv4 only`
            : `host ${host.name}: "${given}" is not an IPv4 address`,
        `set vmha_address: <IPv4 address other hosts reach ${host.name} at>, e.g. vmha_address: 10.0.0.41 (ansible_host may stay a name)`);
      continue;
    }
    const local = localAddress(host.address);
    if (local) {
      error(at.file, at.line, 'host-address-local',
        `host ${host.name}: ${host.address} is ${local}; the other hosts cannot reach ${host.name} there`,
        `set vmha_address of ${host.name} to the address other hosts reach it at, e.g. its LAN address 10.0.0.41`);
      continue;
    }
    const other = byAddress.get(host.address);
    if (other) {
      error(at.file, at.line, 'unique-addresses',
        `hosts ${other.name} and ${host.name} both have address ${host.address}`,
        `give ${host.name} its own address, or list ${other.name} in ${host.name}'s groups instead of a second host`);
    } else byAddress.set(host.address, host);
  }

  // no component port on a host's SSH port
  const sshClashes = new Map<string, HostModel[]>();
  for (const host of model.hosts.values()) {
    const ssh = host.vars.ansible_port ?? 22;
    for (const group of GROUPS) {
      if (!host.groups.has(group)) continue;
      for (const key of GROUP_PORTS[group]) {
        if (settings.ports[key] !== ssh) continue;
        const id = `${key}|${ssh}`;
        sshClashes.set(id, [...(sshClashes.get(id) ?? []), host]);
      }
    }
  }
  for (const [id, hosts] of sshClashes) {
    const [key, port] = id.split('|');
    const at = settingAt('vmha_ports');
    error(at.file, at.line, 'port-ssh-clash',
      `vmha_ports.${key} is ${port}, the SSH port Ansible uses on ${listSome(hosts.map((h) => h.name))}`,
      `set vmha_ports.${key} to a free port, e.g. ${DEFAULT_PORTS[key as keyof VmhaPorts]}`);
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
  if (rf === 1) {
    spof(rfAt.file, rfAt.line, 'replication-factor',
      'vmha_replication_factor is 1: every sample is kept on one vmstorage only, so losing that host loses data and reads are incomplete while it is down',
      `set vmha_replication_factor: 2 (with at least 3 vmstorage hosts)`);
  }
  if (model.presentGroups.has('vmstorage') && storages >= 1) {
    if (rf > storages) {
      error(rfAt.file, rfAt.line, 'replication-factor',
        `vmha_replication_factor is ${rf} but there are only ${storages} vmstorage host(s) (used by vminsert and vmselect)`,
        storages >= 2
          ? `add ${rf - storages} vmstorage host(s), or set vmha_replication_factor: ${storages}`
          : `add ${Math.max(rf, 2 * rf - 1) - storages} vmstorage host(s) (${2 * rf - 1} keep ${rf} copies while one is down)`);
    } else if (storages < 2 * rf - 1 && rf > 1) {
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

  // retention: what vmstorage's -retentionPeriod accepts (VictoriaMetrics app/vmstorage/main.go,
  // lib/flagutil/duration.go): at least a day, at most 1200 months of 31 days
  const hours = retentionHours(settings.retention);
  if (hours !== undefined) {
    const at = settingAt('vmha_retention');
    if (hours < 24) {
      error(at.file, at.line, 'retention', `vmha_retention ${settings.retention} is shorter than 24h; vmstorage refuses to start with it`,
        'set vmha_retention to at least 24h, e.g. vmha_retention: 30d (30 days) or 2M (two months)');
    } else if (!retentionAcceptedByVictoriaMetrics(settings.retention)) {
      error(at.file, at.line, 'retention-too-long',
        `vmha_retention ${settings.retention} is longer than ${MAX_RETENTION_MONTHS} months (31 days each); vmstorage refuses to start with it`,
        `set vmha_retention to at most ${MAX_RETENTION_MONTHS}M, e.g. vmha_retention: 100y`);
    }
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
      const at = model.hostVarAt(host.name, 'vmha_vmagent_member_num');
      error(at.file, at.line, 'vmagent-member-num',
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
      const at = model.hostVarAt(host.name, 'vmha_vmagent_member_num');
      const other = byNum.get(num);
      if (other) {
        error(at.file, at.line, 'vmagent-member-num', `vmagent hosts ${other.name} and ${host.name} both have member number ${num}`,
          `number the ${agents.length} vmagent hosts 0..${agents.length - 1}, each once`);
      } else if (num >= agents.length) {
        error(at.file, at.line, 'vmagent-member-num',
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

  // security: credentials, checked on the values Ansible will use ({{ vault_x }} followed)
  if (settings.authEnabled) {
    const unchecked: ResolvedSecret[] = [];
    const clearFiles = new Map<string, string[]>();
    const resolved = new Map<string, ResolvedSecret>();
    const examine = (key: string, value: string | undefined, rule: string, username: string | undefined, purpose: string) => {
      const at = settingAt(key);
      if (value === undefined || value === '') return undefined;
      const r = resolveSecret(model, key, value, at);
      resolved.set(key, r);
      if (r.value === undefined) {
        unchecked.push(r);
        return r;
      }
      const via = r.via ? ` (through ${r.via})` : '';
      if (isPlaceholder(r.value)) {
        error(r.at.file, r.at.line, 'secret-placeholder', `${key}${via} is still the placeholder "${r.value}"`,
          `replace it with a random ${purpose} of its own: run \`openssl rand -base64 24\` and paste the output${r.via ? ` as ${r.via}` : ''}`);
        return r;
      }
      const weakness = passwordWeakness(r.value, username);
      if (weakness) {
        error(r.at.file, r.at.line, rule, `${key}${via} is weak: ${weakness}`,
          `replace it with a random ${purpose} of at least ${MIN_PASSWORD_LENGTH} characters: run \`openssl rand -base64 24\` and paste the output${r.via ? ` as ${r.via}` : ''}`);
      } else if (!r.via) {
        warn(r.at.file, r.at.line, rule, `${key} is written in clear text`,
          `move the value to an ansible-vault file as vault_${key} and write ${key}: "{{ vault_${key} }}" here`);
      } else if (!r.encrypted) {
        clearFiles.set(r.at.file, [...(clearFiles.get(r.at.file) ?? []), r.via]);
      }
      return r;
    };
    for (const key of CREDENTIAL_KEYS) {
      const value = settings.credentials[key];
      const at = settingAt(key);
      const isPassword = key.endsWith('_password');
      if (value === undefined || value === '') {
        error(at.file, at.line, 'credentials', `${key} is not set (vmha_auth_enabled is true)`,
          isPassword
            ? `add ${key}: "{{ vault_${key} }}" to ${at.file} and vault_${key}: <random password> to an ansible-vault file (see vault.yml.example)`
            : `add ${key}: ${key.includes('write') ? 'vmagent' : 'grafana'} to ${at.file}`);
        continue;
      }
      if (!isPassword) {
        if (!isTemplated(value) && !isVaulted(value) && !/^[A-Za-z0-9._@-]+$/.test(value)) {
          error(at.file, at.line, 'credentials', `${key} "${value}" contains characters a basic-auth user name cannot hold`,
            `use letters, digits, ".", "_", "-", "@" only, e.g. ${key}: ${key.includes('write') ? 'vmagent' : 'grafana'}`);
        }
        continue;
      }
      const userKey = key.replace('_password', '_username') as (typeof CREDENTIAL_KEYS)[number];
      const user = settings.credentials[userKey];
      const username = user !== undefined && !isTemplated(user) && !isVaulted(user) ? user : undefined;
      examine(key, value, 'credentials', username, 'password');
    }
    // the same password on the write and the read path: whoever reads could write
    const w = resolved.get('vmha_write_password');
    const r = resolved.get('vmha_read_password');
    if (w && r && sameSecret(w, r)) {
      error(r.at.file, r.at.line, 'credentials-shared', 'vmha_read_password has the same value as vmha_write_password: every reader could also write',
        'give the read path its own password: run `openssl rand -base64 24` and paste the output as the read password');
    }
    // security: every component endpoint has its own strong secret (backend passwords, admin keys)
    const seen = new Map<string, string>();
    for (const key of COMPONENT_SECRET_KEYS) {
      const value = settings.componentSecrets[key];
      const at = settingAt(key);
      if (value === undefined || value === '') {
        error(at.file, at.line, 'component-credentials',
          `${key} is not set (vmha_auth_enabled is true): ${componentSecretPurpose(key)} would be open to every host the firewall lets in`,
          `add ${key}: "{{ vault_${key} }}" to ${at.file} and vault_${key}: <output of \`openssl rand -base64 24\`> to an ansible-vault file (see vault.yml.example)`);
        continue;
      }
      const res = examine(key, value, 'component-credentials', undefined, 'key')!;
      const id = secretId(res);
      const other = seen.get(id);
      if (other !== undefined) {
        error(res.at.file, res.at.line, 'component-credentials', `${key} has the same value as ${other}`,
          `give ${key} its own secret (\`openssl rand -base64 24\`): whoever holds one key must not be able to use the other endpoint`);
      } else seen.set(id, key);
    }
    for (const key of CREDENTIAL_KEYS.filter((k) => k.endsWith('_password'))) {
      const res = resolved.get(key);
      const other = res ? seen.get(secretId(res)) : undefined;
      if (other !== undefined) {
        const at = resolved.get(other)?.at ?? settingAt(other);
        error(at.file, at.line, 'component-credentials', `${other} has the same value as ${key}`,
          `give ${other} its own secret (\`openssl rand -base64 24\`): a client of the load balancers must not hold a component's secret`);
      }
    }
    for (const [file, names] of clearFiles) {
      warn(file, null, 'secrets-clear-text', `${names.length} secret(s) are in this file unencrypted (${listSome(names)})`,
        `encrypt the file: .venv/bin/ansible-vault encrypt ${file}`);
    }
    if (unchecked.length > 0) {
      const undefinedRefs = unchecked.filter((u) => u.why?.endsWith('is defined in no inventory file')).map((u) => u.via!);
      const encrypted = unchecked.filter((u) => u.why === 'vault-encrypted value').length;
      const other = unchecked.length - undefinedRefs.length - encrypted;
      const parts = [
        undefinedRefs.length
          ? model.encryptedFiles.length > 0
            ? `${undefinedRefs.length} reference variables that are not in any readable file, likely in the encrypted ${listSome(model.encryptedFiles)} (no vault password given)`
            : `${undefinedRefs.length} reference variables no inventory file defines (${listSome(undefinedRefs)})`
          : '',
        encrypted ? `${encrypted} are vault-encrypted and no vault password was given` : '',
        other ? `${other} are Jinja expressions` : '',
      ].filter(Boolean);
      warn(unchecked[0]!.at.file, null, 'secrets-unchecked',
        `${unchecked.length} secret(s) were not checked for strength or reuse: ${parts.join('; ')}`,
        encrypted || model.encryptedFiles.length > 0
          ? 'pass the vault password (--vault-password-file <file>, or ANSIBLE_VAULT_PASSWORD_FILE) so validate reads the vault'
          : 'create the vault file from vault.yml.example with real values and encrypt it (ansible-vault encrypt), then validate with --vault-password-file <file>');
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
          `add ${key}: /etc/vmha/tls/${key === 'vmha_tls_cert_file' ? 'lb.crt' : 'lb.key'} (the PEM file's absolute path on the controller)`);
      }
    }
    for (const key of ['vmha_tls_cert_file', 'vmha_tls_key_file', 'vmha_tls_ca_file'] as const) {
      const value = key === 'vmha_tls_cert_file' ? settings.tlsCertFile : key === 'vmha_tls_key_file' ? settings.tlsKeyFile : settings.tlsCaFile;
      if (!value || isTemplated(value) || !model.fileExists) continue;
      const at = settingAt(key);
      if (!value.startsWith('/')) {
        error(at.file, at.line, 'tls-file-relative', `${key} "${value}" is a relative path; the deploy reads it from the controller, relative to no fixed directory`,
          `write the absolute path, e.g. ${key}: /etc/vmha/tls/${value.split('/').pop()}`);
      } else if (!model.fileExists(value)) {
        error(at.file, at.line, 'tls-file-missing', `${key} ${value} does not exist on this controller`,
          `create the file, or set ${key} to the path of the existing PEM file`);
      }
    }
  }
  return findings;
}

export interface ResolvedSecret {
  /** The value Ansible will use; undefined when it cannot be known here. */
  value: string | undefined;
  /** The text as written (for comparisons of unresolved values). */
  written: string;
  /** Where the value was written. */
  at: { file: string; line: number | null };
  /** The variable the value came from ({{ vault_x }}). */
  via?: string;
  /** Why the value is unknown. */
  why?: string;
  /** The value came from an encrypted file. */
  encrypted?: boolean;
}

const SIMPLE_REFERENCE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

/** Follows `{{ variable }}` references through the all group's variables (as Ansible templates them). */
export function resolveSecret(model: InventoryModel, key: string, value: string, at: { file: string; line: number | null }): ResolvedSecret {
  let current: unknown = value;
  let where = at;
  let via: string | undefined;
  for (let depth = 0; depth < 8; depth++) {
    if (typeof current === 'object' && current !== null && '__ansible_vault' in current) {
      return { value: undefined, written: value, at: where, via, why: 'vault-encrypted value' };
    }
    if (typeof current !== 'string') current = current === undefined || current === null ? '' : String(current);
    const text = current as string;
    if (isVaulted(text)) return { value: undefined, written: value, at: where, via, why: 'vault-encrypted value' };
    const m = SIMPLE_REFERENCE.exec(text.trim());
    if (!m) {
      if (isTemplated(text)) return { value: undefined, written: value, at: where, via, why: 'a Jinja expression' };
      const encrypted = model.encryptedFiles.includes(where.file) || (via !== undefined && model.vaultedVars.has(via));
      return { value: text, written: value, at: where, via, encrypted };
    }
    via = m[1]!;
    if (!Object.prototype.hasOwnProperty.call(model.allVars, via)) {
      return { value: undefined, written: value, at, via, why: `${via} is defined in no inventory file` };
    }
    current = model.allVars[via];
    where = model.allVarAt(via) ?? where;
  }
  return { value: undefined, written: value, at, via, why: 'references nest too deep' };
}

const PLACEHOLDER_WORDS = ['replace-with', 'replace_with', 'replaceme', 'replace-me', 'changeme', 'change-me', 'change_me',
  'placeholder', 'your-', 'your_', 'openssl rand', 'openssl-rand', 'fixme', 'todo', 'xxxx', '<', '>'];
/** A value that was obviously meant to be replaced (copied from an example). */
export function isPlaceholder(value: string): boolean {
  const lower = value.toLowerCase();
  return PLACEHOLDER_WORDS.some((w) => lower.includes(w));
}

const secretId = (r: ResolvedSecret) => (r.value !== undefined ? `=${r.value}` : `?${r.written}`);
const sameSecret = (a: ResolvedSecret, b: ResolvedSecret) => secretId(a) === secretId(b);

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

