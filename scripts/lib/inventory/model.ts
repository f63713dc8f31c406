// Loads parsed inventory files into one model: schema checks (ajv, strict) first, then the
// hosts, their groups and the cluster settings with defaults applied. Pure.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { didYouMean, levenshtein } from './did-you-mean.js';

const levenshteinWithin = (a: string, b: string, n: number) => Math.abs(a.length - b.length) <= n && levenshtein(a, b) <= n;
import {
  COMPONENT_SECRET_KEYS,
  CREDENTIAL_KEYS,
  SECRET_KEYS,
  DEFAULT_PORTS,
  GROUPS,
  IPV4_PATTERN,
  SETTINGS_KEYS,
  SETTING_DEFAULTS,
  settingFormat,
  settingsSchema,
  type ClusterSettings,
  type GroupName,
  type HostVars,
  type VmhaPorts,
} from './schema.js';
import { parseSource, indexKeyLines, VAULT_PREFIX as VAULT_TEXT_PREFIX, type ParsedSource, type SourceFile } from './yaml-source.js';
import {
  groupDepths,
  hostGroups,
  mergedHostVars,
  viewFromExport,
  viewFromYaml,
  type AnsibleExport,
  type AnsibleView,
} from './ansible-view.js';

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  file: string;
  line: number | null;
  rule: string;
  message: string;
  fix: string;
}

/** Versions pinned in ansible/versions.yml (the defaults of vmha_version and friends). */
export interface PinnedVersions {
  victoriametrics: { version: string; release_url: string };
  node_exporter: { version: string; release_url: string };
  alertmanager?: { version: string; release_url: string };
}

/** A group_vars file (group unset: `all`) or a host_vars file. */
export interface VarsFile extends SourceFile {
  group?: string;
  host?: string;
}

export interface InventorySources {
  /** hosts.yml (or a single hosts file, YAML or INI). */
  hosts: SourceFile;
  /**
   * group_vars files (group unset means all) and host_vars files (host set), in any order
   * (sorted here); zz-generated.yml is left out by the caller.
   */
  groupVars: VarsFile[];
  /** Ansible's own reading (`ansible-inventory --list --export`); without it YAML inventories are read here the same way. */
  ansible?: AnsibleExport;
  /** Findings of reading the files from disk (unreadable, binary, loops, Ansible's errors). */
  readFindings?: Finding[];
  /** Whether a controller file exists (TLS files); unset: not checked. */
  fileExists?: (file: string) => boolean;
  /** Where a missing setting should be added (reported as the file of such findings). */
  settingsFile: string;
  pins: PinnedVersions;
}

export interface HostModel {
  name: string;
  groups: Set<GroupName>;
  vars: HostVars;
  /** IPv4 address other components use; undefined when it cannot be determined. */
  address: string | undefined;
  file: string;
  line: number | null;
}

export interface BackupSettings {
  destination: string;
  s3Endpoint: string | undefined;
  s3AccessKeyId: string | undefined;
  s3SecretAccessKey: string | undefined;
  gcsCredentialsJson: string | undefined;
  azureAccountName: string | undefined;
  azureAccountKey: string | undefined;
  schedule: string;
  fullSchedule: string;
}

export interface ResolvedSettings {
  version: string;
  nodeExporterVersion: string;
  victoriametricsDownloadUrl: string;
  nodeExporterDownloadUrl: string;
  replicationFactor: number;
  scrapeInterval: string;
  dedupInterval: string;
  retention: string;
  writeDnsName: string | undefined;
  readDnsName: string | undefined;
  manageDns: boolean;
  ports: VmhaPorts;
  authEnabled: boolean;
  credentials: Partial<Record<(typeof CREDENTIAL_KEYS)[number], string>>;
  /** Secrets of the component endpoints (COMPONENT_SECRET_KEYS) that are set. */
  componentSecrets: Partial<Record<(typeof COMPONENT_SECRET_KEYS)[number], string>>;
  tlsEnabled: boolean;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  tlsCaFile: string | undefined;
  firewallEnabled: boolean;
  vmagentQueueMaxBytes: number;
  /** Scheduled vmbackup of every vmstorage; undefined without vmha_backup_destination. */
  backup: BackupSettings | undefined;
  grafanaPackageUrl: string | undefined;
  grafanaPackageSha256: string | undefined;
  alertmanagerVersion: string;
  alertmanagerDownloadUrl: string;
  alertWebhookUrls: string[];
  /** vmha_allow_single_points_of_failure: RF 1 or one instance of a tier is a warning, not an error. */
  allowSinglePointsOfFailure: boolean;
}

/** Where things are written in the hosts file (YAML or INI). */
export interface HostsIndex {
  path: string;
  groupLine: Map<string, number>;
  hostLine: Map<string, number>;
  /** `${host}\0${key}` */
  hostVarLine: Map<string, number>;
  /** `${group}\0${key}` */
  groupVarLine: Map<string, number>;
}

export interface InventoryModel {
  hostsFile: ParsedSource;
  hostsIndex: HostsIndex;
  /** Where a host's variable was written (host_vars file, hosts file, group_vars). */
  hostVarAt(host: string, key: string): { file: string; line: number | null };
  /** vault_* and other variables of the all group (for `{{ vault_x }}` indirection). */
  allVars: Record<string, unknown>;
  /** Where a variable of the all group was written. */
  allVarAt(key: string): { file: string; line: number | null } | undefined;
  /** Files whose whole text is ansible-vault encrypted and could not be read. */
  encryptedFiles: string[];
  /** Variables of the all group written as inline `!vault` values. */
  vaultedVars: Set<string>;
  fileExists: ((file: string) => boolean) | undefined;
  hosts: Map<string, HostModel>;
  /** Members of every group, naturally sorted by host name (vmstorage-2 before vmstorage-10). */
  members: Record<GroupName, HostModel[]>;
  /** Groups written in hosts.yml (a missing group is not the same as an empty one). */
  presentGroups: Set<GroupName>;
  raw: ClusterSettings;
  settings: ResolvedSettings;
  /** Where each setting was written. */
  settingOrigin: Map<string, { file: string; line: number | null }>;
  settingsFile: string;
  pins: PinnedVersions;
}

export interface LoadResult {
  model: InventoryModel | undefined;
  findings: Finding[];
}

let validators: { settings: ValidateFunction<ClusterSettings> } | undefined;
function getValidators() {
  if (!validators) {
    // strict mode on; the meta-schema check of our own schemas runs in the unit tests, not on
    // every start (it costs more than the validation of a 10,000-host inventory)
    const ajv = new Ajv({ strict: true, allErrors: true, verbose: true, validateSchema: false });
    validators = { settings: ajv.compile(settingsSchema) };
  }
  return validators;
}

const SECRETS_FILE = /(^|\/)(secrets?|vault)\.ya?ml$/;
const IPV4 = new RegExp(IPV4_PATTERN);
const COMPONENT_VERSION_KEY = /^(vmstorage|vminsert|vmselect|vmagent|victoriametrics|node_exporter)_.*version$/;
const RULE_OF_SETTING: Record<string, string> = {
  vmha_retention: 'retention',
  vmha_scrape_interval: 'dedup-interval',
  vmha_dedup_interval: 'dedup-interval',
  vmha_version: 'pinned-version',
  vmha_node_exporter_version: 'pinned-version',
  vmha_replication_factor: 'replication-factor',
  vmha_ports: 'port-range',
  vmha_allow_single_points_of_failure: 'replication-factor',
};

export const naturalCompare = (() => {
  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });
  return (a: string, b: string) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
})();

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Turns ajv errors into findings with file, line, rule and a did-you-mean fix. */
function schemaFindings(
  errors: ErrorObject[],
  locate: (path: string[]) => { file: string; line: number | null },
  what: string,
): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const err of errors) {
    if (err.propertyName !== undefined) continue; // reported by its propertyNames error
    const path = decodePointer(err.instancePath);
    const parent = (err.parentSchema ?? {}) as { properties?: Record<string, unknown>; description?: string };
    const where = path.length > 0 ? path.join('.') : what;
    let finding: Omit<Finding, 'file' | 'line'> & { path: string[] };
    if (err.keyword === 'additionalProperties' || err.keyword === 'propertyNames') {
      const key = String(
        (err.params as { additionalProperty?: string; propertyName?: string }).additionalProperty ??
          (err.params as { propertyName?: string }).propertyName,
      );
      const candidates = err.keyword === 'propertyNames' ? [...GROUPS] : Object.keys(parent.properties ?? {});
      const suggestion = didYouMean(key, candidates);
      const isVersionPin = COMPONENT_VERSION_KEY.test(key);
      finding = {
        severity: 'error',
        rule: isVersionPin ? 'pinned-version' : 'unknown-key',
        path: [...path, key],
        message: `unknown key "${key}" in ${where}${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
        fix: isVersionPin
          ? 'remove it: vmha_version pins one version for every cluster component'
          : suggestion
            ? `rename it to "${suggestion}"`
            : `remove it; allowed here: ${candidates.join(', ')}`,
      };
    } else if (err.keyword === 'required') {
      const key = (err.params as { missingProperty: string }).missingProperty;
      finding = {
        severity: 'error',
        rule: 'schema',
        path,
        message: `${where} lacks the required key "${key}"`,
        fix: `add "${key}"`,
      };
    } else {
      const top = path[0] ?? '';
      const got = JSON.stringify(err.data, (_k, v: unknown) => v) ?? String(err.data);
      const shown = got.length > 80 ? `${got.slice(0, 80)}...` : got;
      const isPort = top === 'vmha_ports' && path.length === 2;
      finding = {
        severity: 'error',
        rule: isPort ? 'port-range' : (RULE_OF_SETTING[top] ?? 'schema'),
        path,
        message: `${where} is ${shown}, which is not ${isPort ? 'a port from 1 to 65535' : err.keyword === 'type' ? `of type ${(err.params as { type?: string }).type}` : 'in the accepted format'}`,
        fix: isPort
          ? `write a whole number from 1 to 65535, e.g. vmha_ports: {${path[1]}: ${DEFAULT_PORTS[path[1] as keyof VmhaPorts] ?? 8480}}`
          : `write ${top} as ${settingFormat(top)}`,
      };
    }
    const { file, line } = locate(finding.path);
    const id = `${file}:${finding.path.join('.')}:${finding.rule}:${finding.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ severity: finding.severity, file, line, rule: finding.rule, message: finding.message, fix: finding.fix });
  }
  return out;
}

/** Host variables of vmha (the others are Ansible's or other roles'). */
export const HOST_LEVEL_KEYS = ['vmha_address', 'vmha_vmagent_member_num'] as const;
const SEP = '\u0000';
const INI_HEADER = /^\s*\[([^\]:\s]+)(?::(vars|children|hosts))?\]\s*$/;

/** Whether a text is an INI inventory rather than YAML (section headers, or host lines only). */
export function looksLikeIni(text: string): boolean {
  return /^\s*\[[^\]\n]+\]\s*$/m.test(text);
}

function emptyIndex(path: string): HostsIndex {
  return { path, groupLine: new Map(), hostLine: new Map(), hostVarLine: new Map(), groupVarLine: new Map() };
}

/** Lines of groups, hosts and variables of a YAML inventory (top-level groups, with or without all:). */
export function indexYamlHosts(path: string, text: string, keyLines?: Map<string, number>): HostsIndex {
  const index = emptyIndex(path);
  const first = (map: Map<string, number>, key: string, line: number) => {
    if (!map.has(key)) map.set(key, line);
  };
  for (const [joined, line] of keyLines ?? indexKeyLines(text)) {
    const parts = joined.split(SEP);
    let group = parts[0]!;
    if (parts.length === 1) {
      first(index.groupLine, group, line);
      continue;
    }
    for (let i = 1; i < parts.length; ) {
      const section = parts[i];
      if (i + 1 >= parts.length) break;
      if (section === 'hosts') {
        const host = parts[i + 1]!;
        if (parts.length === i + 2) first(index.hostLine, host, line);
        else if (parts.length === i + 3) first(index.hostVarLine, host + SEP + parts[i + 2], line);
        break;
      }
      if (section === 'vars') {
        if (parts.length === i + 2) first(index.groupVarLine, group + SEP + parts[i + 1], line);
        break;
      }
      if (section !== 'children') break;
      group = parts[i + 1]!;
      if (parts.length === i + 2) first(index.groupLine, group, line);
      i += 2;
    }
  }
  return index;
}

/** The same for an INI inventory. */
export function indexIniHosts(path: string, text: string): HostsIndex {
  const index = emptyIndex(path);
  let group = 'ungrouped';
  let kind = 'hosts';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const header = INI_HEADER.exec(line);
    if (header) {
      group = header[1]!;
      kind = header[2] ?? 'hosts';
      if (!index.groupLine.has(group)) index.groupLine.set(group, i + 1);
      continue;
    }
    if (kind === 'hosts') {
      const [host, ...rest] = trimmed.split(/\s+/);
      if (!host) continue;
      if (!index.hostLine.has(host)) index.hostLine.set(host, i + 1);
      for (const token of rest) {
        const key = token.split('=')[0]!;
        if (token.includes('=') && !index.hostVarLine.has(host + SEP + key)) index.hostVarLine.set(host + SEP + key, i + 1);
      }
    } else if (kind === 'vars') {
      const m = /^([^=\s]+)\s*[=:]/.exec(trimmed);
      if (m && !index.groupVarLine.has(group + SEP + m[1])) index.groupVarLine.set(group + SEP + m[1], i + 1);
    } else if (!index.groupLine.has(trimmed)) index.groupLine.set(trimmed, i + 1);
  }
  return index;
}

/** Ansible reads "yes", "on", "1" and friends as booleans (YAML 1.1, INI strings). */
function coerce(value: unknown, type: string | undefined): unknown {
  if (typeof value !== 'string') return value;
  if (type === 'boolean') {
    const v = value.toLowerCase();
    if (['true', 'yes', 'on', 'y', '1'].includes(v)) return true;
    if (['false', 'no', 'off', 'n', '0'].includes(v)) return false;
  }
  if (type === 'integer' && /^[0-9]+$/.test(value)) return Number(value);
  return value;
}

function settingType(key: string): string | undefined {
  const prop = (settingsSchema.properties as Record<string, { type?: string }>)[key];
  return prop?.type;
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

export function loadInventory(sources: InventorySources): LoadResult {
  const findings: Finding[] = [...(sources.readFindings ?? [])];
  const err = (file: string, line: number | null, rule: string, message: string, fix: string) =>
    findings.push({ severity: 'error', file, line, rule, message, fix });
  const warn = (file: string, line: number | null, rule: string, message: string, fix: string) =>
    findings.push({ severity: 'warning', file, line, rule, message, fix });

  // 1. parse the YAML files (the hosts file may be INI, which only Ansible reads)
  const hostsPath = sources.hosts.path;
  const hostsParsed = parseSource(sources.hosts);
  const hostsIsYaml = hostsParsed.ok && (isPlainObject(hostsParsed.source.data) || hostsParsed.source.data == null);
  const hostsIsIni = !hostsIsYaml && looksLikeIni(sources.hosts.text);
  if (!hostsIsYaml && !hostsIsIni) {
    if (!hostsParsed.ok) err(hostsPath, hostsParsed.line ?? null, hostsParsed.rule, hostsParsed.message, hostsParsed.fix);
    else if (!sources.ansible) {
      err(hostsPath, 1, 'inventory-format', 'the hosts file is neither a YAML inventory (groups as mapping keys) nor an INI inventory ([group] sections)',
        'write it as YAML like ansible/inventories/example/hosts.yml, e.g. "vmstorage:" / "  hosts:" / "    vmstorage-1:" / "      ansible_host: 10.0.0.41"');
    }
  }
  if (hostsIsIni && !sources.ansible) {
    err(hostsPath, 1, 'inventory-format', 'this INI inventory can only be read through Ansible, and ansible-inventory did not run',
      'run `npm run lab -- up` or `bash scripts/ensure-toolchain.sh` to create .venv/ with Ansible, then validate again');
  }
  const encryptedFiles: string[] = [];
  const varsParsed: { file: VarsFile; source: ParsedSource }[] = [];
  for (const file of [...sources.groupVars].sort(byPath)) {
    const parsed = parseSource(file);
    if (!parsed.ok) {
      err(parsed.path, parsed.line ?? null, parsed.rule, parsed.message, parsed.fix);
      continue;
    }
    if (file.text.trimStart().startsWith(VAULT_TEXT_PREFIX)) encryptedFiles.push(file.path);
    if (parsed.source.data != null && !isPlainObject(parsed.source.data)) {
      err(file.path, 1, 'vars-file-shape', 'a group_vars or host_vars file must be a mapping of variable names to values',
        'write one "name: value" line per variable at the top level, e.g. "vmha_retention: 2M"');
      continue;
    }
    varsParsed.push({ file, source: parsed.source });
  }
  if (findings.some((f) => f.severity === 'error' && f.file === hostsPath)) return { model: undefined, findings };

  // 2. Ansible's view of the inventory
  const hostsSource: ParsedSource =
    hostsParsed.ok && hostsIsYaml ? hostsParsed.source : { path: hostsPath, data: undefined, lineOf: () => undefined };
  const hostsIndex = hostsIsYaml ? indexYamlHosts(hostsPath, sources.hosts.text, hostsSource.keyLines) : indexIniHosts(hostsPath, sources.hosts.text);
  let view: AnsibleView;
  if (sources.ansible) view = viewFromExport(sources.ansible);
  else {
    view = viewFromYaml({
      hosts: hostsSource.data,
      groupVars: varsParsed.filter((v) => v.file.host === undefined).map((v) => ({ group: v.file.group ?? 'all', data: v.source.data })),
      hostVars: varsParsed.filter((v) => v.file.host !== undefined).map((v) => ({ host: v.file.host!, data: v.source.data })),
    });
  }
  const varFilesOf = (scope: { group?: string; host?: string }) =>
    varsParsed.filter((v) =>
      scope.host !== undefined ? v.file.host === scope.host : v.file.host === undefined && (v.file.group ?? 'all') === scope.group,
    );
  /** Where a variable of a group or host was written: the last vars file that sets it, else the hosts file. */
  const locateVar = (scope: { group?: string; host?: string }, key: string) => {
    const files = varFilesOf(scope);
    for (let i = files.length - 1; i >= 0; i--) {
      const data = files[i]!.source.data as Record<string, unknown> | null | undefined;
      if (data && Object.prototype.hasOwnProperty.call(data, key)) {
        return { file: files[i]!.file.path, line: files[i]!.source.lineOf([key]) ?? null };
      }
    }
    const line =
      scope.host !== undefined
        ? hostsIndex.hostVarLine.get(scope.host + SEP + key)
        : hostsIndex.groupVarLine.get(scope.group + SEP + key);
    if (line !== undefined) return { file: hostsPath, line };
    // not in any file vmha can read: an encrypted file of that group or host holds it
    const encrypted = files.find((f) => encryptedFiles.includes(f.file.path));
    if (encrypted) return { file: encrypted.file.path, line: null };
    if (scope.host !== undefined && hostsIndex.hostLine.has(scope.host)) return { file: hostsPath, line: hostsIndex.hostLine.get(scope.host)! };
    return undefined;
  };

  // 3. cluster settings: the vmha_* variables of the all group
  const allVars = view.groups.get('all')?.vars ?? {};
  const raw: Record<string, unknown> = {};
  const settingOrigin = new Map<string, { file: string; line: number | null }>();
  const isSettingKey = (key: string) =>
    (key.startsWith('vmha_') && !(HOST_LEVEL_KEYS as readonly string[]).includes(key)) || COMPONENT_VERSION_KEY.test(key);
  // a setting written in two group_vars/all files: Ansible takes the later one silently
  const firstSeen = new Map<string, { file: string; line: number | null }>();
  for (const { file, source } of varFilesOf({ group: 'all' })) {
    for (const key of Object.keys((source.data as Record<string, unknown> | null) ?? {})) {
      if (!isSettingKey(key)) continue;
      const line = source.lineOf([key]) ?? null;
      const previous = firstSeen.get(key);
      if (previous) {
        err(file.path, line, 'setting-duplicate', `${key} is also set in ${previous.file}${previous.line ? `:${previous.line}` : ''}; Ansible uses this one`,
          `delete one of the two lines, keeping the value you want in ${previous.file}`);
      } else firstSeen.set(key, { file: file.path, line });
      if (SECRETS_FILE.test(file.path) && !SECRET_KEYS.includes(key)) {
        warn(file.path, line, 'setting-in-vault', `${key} is a setting, not a secret, but it is in the vault file`,
          `move the line "${key}: ..." to ${sources.settingsFile}, where reviewers see it`);
      }
    }
  }
  for (const [key, value] of Object.entries(allVars)) {
    if (!isSettingKey(key)) continue;
    const at = locateVar({ group: 'all' }, key) ?? { file: sources.settingsFile, line: null };
    settingOrigin.set(key, at);
    if (value === null || value === undefined) {
      err(at.file, at.line, 'setting-null', `${key} has no value`, `give ${key} a value or delete the line to use the default`);
      continue;
    }
    raw[key] = coerce(value, settingType(key));
  }
  // vmha settings only mean something for the whole cluster (group_vars/all)
  for (const [group, entry] of view.groups) {
    if (group === 'all') continue;
    for (const key of Object.keys(entry.vars)) {
      if (!isSettingKey(key)) continue;
      const at = locateVar({ group }, key) ?? { file: hostsPath, line: hostsIndex.groupLine.get(group) ?? null };
      err(at.file, at.line, 'setting-scope', `${key} is set for group ${group} only; vmha settings apply to the whole cluster`,
        `move "${key}: ..." to ${sources.settingsFile}`);
    }
  }
  const settingsValidator = getValidators().settings;
  if (!settingsValidator(raw)) {
    findings.push(
      ...schemaFindings(
        settingsValidator.errors ?? [],
        (path) => {
          const origin = path[0] !== undefined ? settingOrigin.get(path[0]) : undefined;
          if (!origin) return { file: sources.settingsFile, line: null };
          const source = varsParsed.find((s) => s.file.path === origin.file)?.source;
          return { file: origin.file, line: source?.lineOf(path) ?? origin.line };
        },
        'the cluster settings',
      ),
    );
  }
  if (findings.some((f) => f.severity === 'error' && f.rule.startsWith('yaml-') && f.file === hostsPath)) return { model: undefined, findings };

  // 4. hosts and group membership (children resolved transitively, as Ansible does)
  const presentGroups = new Set<GroupName>(GROUPS.filter((g) => view.groups.has(g)));
  for (const group of view.groups.keys()) {
    if (group === 'all' || group === 'ungrouped' || (GROUPS as readonly string[]).includes(group)) continue;
    const suggestion = didYouMean(group, GROUPS);
    const target = view.groups.get(suggestion ?? '');
    if (suggestion && (!target || (target.hosts.length === 0 && target.children.length === 0))) {
      err(hostsPath, hostsIndex.groupLine.get(group) ?? null, 'unknown-key', `group "${group}" is not a vmha group; did you mean "${suggestion}"?`,
        `rename the group "${group}" to "${suggestion}"`);
    }
  }
  const groupsOf = hostGroups(view);
  const depths = groupDepths(view);
  const hosts = new Map<string, HostModel>();
  const members = Object.fromEntries(GROUPS.map((g) => [g, [] as HostModel[]])) as Record<GroupName, HostModel[]>;
  const hostVarAt = (host: string, key: string) =>
    locateVar({ host }, key) ?? { file: hostsPath, line: hostsIndex.hostLine.get(host) ?? null };
  for (const [name, groupSet] of groupsOf) {
    const vmhaGroups = GROUPS.filter((g) => groupSet.has(g));
    if (vmhaGroups.length === 0) continue; // not a vmha host: left alone
    const merged = mergedHostVars(view, name, groupSet, depths);
    const own = view.hosts.get(name) ?? {};
    const vars: HostVars = {};
    for (const key of Object.keys(own)) {
      if (!key.startsWith('vmha_') || (HOST_LEVEL_KEYS as readonly string[]).includes(key)) continue;
      const at = hostVarAt(name, key);
      if (isSettingKey(key) && SETTINGS_KEYS.includes(key as keyof ClusterSettings)) {
        err(at.file, at.line, 'setting-scope', `${key} is set for host ${name} only; vmha settings apply to the whole cluster`,
          `move "${key}: ..." to ${sources.settingsFile}`);
      } else {
        const suggestion = didYouMean(key, [...HOST_LEVEL_KEYS, ...SETTINGS_KEYS]);
        err(at.file, at.line, 'unknown-key', `unknown host variable "${key}" on ${name}${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
          suggestion ? `rename it to "${suggestion}"` : `delete it; vmha host variables are ${HOST_LEVEL_KEYS.join(', ')}`);
      }
    }
    if (merged.ansible_host === undefined) {
      for (const key of Object.keys(own)) {
        if (key !== 'ansible_host' && !key.startsWith('vmha_') && levenshteinWithin(key, 'ansible_host', 2)) {
          const at = hostVarAt(name, key);
          err(at.file, at.line, 'unknown-key', `unknown host variable "${key}" on ${name}; did you mean "ansible_host"?`,
            'rename it to "ansible_host"');
        }
      }
    }
    if (merged.ansible_host !== undefined && merged.ansible_host !== null) vars.ansible_host = String(merged.ansible_host);
    if (merged.vmha_address !== undefined && merged.vmha_address !== null) {
      if (typeof merged.vmha_address !== 'string') {
        const at = hostVarAt(name, 'vmha_address');
        err(at.file, at.line, 'host-address', `vmha_address of ${name} is ${JSON.stringify(merged.vmha_address)}, not an IPv4 address`,
          `write the address as text, e.g. vmha_address: "10.0.0.41"`);
      } else vars.vmha_address = merged.vmha_address;
    }
    if (merged.ansible_port !== undefined && merged.ansible_port !== null) {
      const port = coerce(merged.ansible_port, 'integer');
      if (typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) vars.ansible_port = port;
      else {
        const at = hostVarAt(name, 'ansible_port');
        err(at.file, at.line, 'ssh-port', `ansible_port of ${name} is ${JSON.stringify(merged.ansible_port)}, not a port`,
          'set ansible_port to a whole number from 1 to 65535, e.g. ansible_port: 22');
      }
    }
    if (merged.vmha_vmagent_member_num !== undefined && merged.vmha_vmagent_member_num !== null) {
      const num = coerce(merged.vmha_vmagent_member_num, 'integer');
      if (typeof num === 'number' && Number.isInteger(num) && num >= 0) vars.vmha_vmagent_member_num = num;
      else {
        const at = hostVarAt(name, 'vmha_vmagent_member_num');
        err(at.file, at.line, 'vmagent-member-num', `vmha_vmagent_member_num of ${name} is ${JSON.stringify(merged.vmha_vmagent_member_num)}, not a whole number`,
          'number the vmagent hosts 0, 1, 2, ... (vmha_vmagent_member_num: 0 on the first)');
      }
    }
    const host: HostModel = {
      name,
      groups: new Set(vmhaGroups),
      vars,
      address: undefined,
      file: hostsPath,
      line: hostsIndex.hostLine.get(name) ?? null,
    };
    // Ansible connects to the inventory name when ansible_host is unset
    const candidate = vars.vmha_address ?? vars.ansible_host ?? name;
    host.address = IPV4.test(candidate) ? candidate : undefined;
    hosts.set(name, host);
    for (const g of vmhaGroups) members[g].push(host);
  }
  for (const g of GROUPS) members[g].sort((a, b) => naturalCompare(a.name, b.name));

  // 5. settings with defaults
  const s = raw as ClusterSettings;
  const pins = sources.pins;
  const settings: ResolvedSettings = {
    version: s.vmha_version ?? pins.victoriametrics.version,
    nodeExporterVersion: s.vmha_node_exporter_version ?? pins.node_exporter.version,
    victoriametricsDownloadUrl: s.vmha_victoriametrics_download_url ?? pins.victoriametrics.release_url,
    nodeExporterDownloadUrl: s.vmha_node_exporter_download_url ?? pins.node_exporter.release_url,
    replicationFactor: s.vmha_replication_factor ?? SETTING_DEFAULTS.vmha_replication_factor,
    scrapeInterval: s.vmha_scrape_interval ?? SETTING_DEFAULTS.vmha_scrape_interval,
    dedupInterval: s.vmha_dedup_interval ?? SETTING_DEFAULTS.vmha_dedup_interval,
    retention: s.vmha_retention ?? SETTING_DEFAULTS.vmha_retention,
    writeDnsName: s.vmha_write_dns_name,
    readDnsName: s.vmha_read_dns_name,
    manageDns: s.vmha_manage_dns ?? SETTING_DEFAULTS.vmha_manage_dns,
    ports: { ...DEFAULT_PORTS, ...(s.vmha_ports ?? {}) },
    authEnabled: s.vmha_auth_enabled ?? SETTING_DEFAULTS.vmha_auth_enabled,
    credentials: Object.fromEntries(CREDENTIAL_KEYS.filter((k) => s[k] !== undefined).map((k) => [k, s[k]])),
    componentSecrets: Object.fromEntries(COMPONENT_SECRET_KEYS.filter((k) => s[k] !== undefined).map((k) => [k, s[k]])),
    tlsEnabled: s.vmha_tls_enabled ?? SETTING_DEFAULTS.vmha_tls_enabled,
    tlsCertFile: s.vmha_tls_cert_file,
    tlsKeyFile: s.vmha_tls_key_file,
    tlsCaFile: s.vmha_tls_ca_file,
    firewallEnabled: s.vmha_firewall_enabled ?? SETTING_DEFAULTS.vmha_firewall_enabled,
    vmagentQueueMaxBytes: s.vmha_vmagent_queue_max_bytes ?? SETTING_DEFAULTS.vmha_vmagent_queue_max_bytes,
    backup: s.vmha_backup_destination
      ? {
          destination: s.vmha_backup_destination,
          s3Endpoint: s.vmha_backup_s3_endpoint,
          s3AccessKeyId: s.vmha_backup_s3_access_key_id,
          s3SecretAccessKey: s.vmha_backup_s3_secret_access_key,
          gcsCredentialsJson: s.vmha_backup_gcs_credentials_json,
          azureAccountName: s.vmha_backup_azure_account_name,
          azureAccountKey: s.vmha_backup_azure_account_key,
          schedule: s.vmha_backup_schedule ?? 'hourly',
          fullSchedule: s.vmha_backup_full_schedule ?? 'daily',
        }
      : undefined,
    grafanaPackageUrl: s.vmha_grafana_package_url,
    grafanaPackageSha256: s.vmha_grafana_package_sha256,
    alertmanagerVersion: s.vmha_alertmanager_version ?? pins.alertmanager?.version ?? '0.35.0',
    alertmanagerDownloadUrl:
      s.vmha_alertmanager_download_url ?? pins.alertmanager?.release_url ?? 'https://github.com/prometheus/alertmanager/releases/download',
    alertWebhookUrls: s.vmha_alert_webhook_urls ?? [],
    allowSinglePointsOfFailure: s.vmha_allow_single_points_of_failure ?? SETTING_DEFAULTS.vmha_allow_single_points_of_failure,
  };
  if (findings.some((f) => f.severity === 'error')) return { model: undefined, findings };

  return {
    model: {
      hostsFile: hostsSource,
      hostsIndex,
      hostVarAt,
      allVars,
      allVarAt: (key) => locateVar({ group: 'all' }, key),
      encryptedFiles,
      vaultedVars: new Set(
        varFilesOf({ group: 'all' }).flatMap(({ source }) =>
          Object.entries((source.data as Record<string, unknown> | null) ?? {})
            .filter(([, v]) => typeof v === 'string' && v.startsWith(VAULT_TEXT_PREFIX))
            .map(([k]) => k),
        ),
      ),
      fileExists: sources.fileExists,
      hosts,
      members,
      presentGroups,
      raw: s,
      settings,
      settingOrigin,
      settingsFile: sources.settingsFile,
      pins,
    },
    findings,
  };
}
