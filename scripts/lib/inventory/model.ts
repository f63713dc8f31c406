// Loads parsed inventory files into one model: schema checks (ajv, strict) first, then the
// hosts, their groups and the cluster settings with defaults applied. Pure.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { didYouMean } from './did-you-mean.js';
import {
  COMPONENT_SECRET_KEYS,
  CREDENTIAL_KEYS,
  SECRET_KEYS,
  DEFAULT_PORTS,
  GROUPS,
  IPV4_PATTERN,
  hostsSchema,
  settingsSchema,
  type ClusterSettings,
  type GroupName,
  type HostVars,
  type HostsFile,
  type VmhaPorts,
} from './schema.js';
import { parseSource, type ParsedSource, type SourceFile } from './yaml-source.js';

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
}

export interface InventorySources {
  /** hosts.yml (or a single hosts file). */
  hosts: SourceFile;
  /** group_vars/all/*.yml in any order (sorted here); zz-generated.yml is left out by the caller. */
  groupVars: SourceFile[];
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
  grafanaPackageUrl: string | undefined;
}

export interface InventoryModel {
  hostsFile: ParsedSource;
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

let validators: { hosts: ValidateFunction<HostsFile>; settings: ValidateFunction<ClusterSettings> } | undefined;
function getValidators() {
  if (!validators) {
    // strict mode on; the meta-schema check of our own schemas runs in the unit tests, not on
    // every start (it costs more than the validation of a 10,000-host inventory)
    const ajv = new Ajv({ strict: true, allErrors: true, verbose: true, validateSchema: false });
    validators = { hosts: ajv.compile(hostsSchema), settings: ajv.compile(settingsSchema) };
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
  vmha_ports: 'port-clash',
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
      const key = path[path.length - 1] ?? '';
      const top = path[0] ?? '';
      const schemaDescription = (err.parentSchema as { description?: string } | undefined)?.description;
      finding = {
        severity: 'error',
        rule: RULE_OF_SETTING[top] ?? 'schema',
        path,
        message: `${where} ${err.message ?? 'is invalid'} (got ${JSON.stringify(err.data)})`,
        fix: schemaDescription ? `set ${key || where} to ${schemaDescription}` : `correct ${where}`,
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

export function loadInventory(sources: InventorySources): LoadResult {
  const findings: Finding[] = [];

  // 1. parse every file
  const hostsParsed = parseSource(sources.hosts);
  if (!hostsParsed.ok) {
    findings.push({
      severity: 'error',
      file: hostsParsed.path,
      line: hostsParsed.line ?? null,
      rule: 'yaml-syntax',
      message: `not valid YAML: ${hostsParsed.message}`,
      fix: 'correct the YAML syntax at that line',
    });
  }
  const varsParsed: ParsedSource[] = [];
  for (const file of [...sources.groupVars].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const parsed = parseSource(file);
    if (!parsed.ok) {
      findings.push({
        severity: 'error',
        file: parsed.path,
        line: parsed.line ?? null,
        rule: 'yaml-syntax',
        message: `not valid YAML: ${parsed.message}`,
        fix: 'correct the YAML syntax at that line',
      });
    } else varsParsed.push(parsed.source);
  }

  // 2. merge the cluster settings (Ansible reads group_vars/all files in name order)
  const raw: Record<string, unknown> = {};
  const settingOrigin = new Map<string, { file: string; line: number | null }>();
  for (const source of varsParsed) {
    if (source.data === undefined || source.data === null) continue; // empty or vault-encrypted file
    if (!isPlainObject(source.data)) {
      findings.push({
        severity: 'error',
        file: source.path,
        line: 1,
        rule: 'schema',
        message: 'a group_vars file must be a mapping of variable names to values',
        fix: 'write "vmha_setting: value" lines at the top level',
      });
      continue;
    }
    const secretsOnly = SECRETS_FILE.test(source.path);
    for (const [key, value] of Object.entries(source.data)) {
      if (key.startsWith('ansible_')) continue; // Ansible's own connection variables
      if (secretsOnly && !SECRET_KEYS.includes(key)) continue;
      const line = source.lineOf([key]) ?? null;
      const previous = settingOrigin.get(key);
      if (previous) {
        findings.push({
          severity: 'error',
          file: source.path,
          line,
          rule: 'setting-duplicate',
          message: `${key} is also set in ${previous.file}${previous.line ? `:${previous.line}` : ''}`,
          fix: 'set every cluster setting in one place only',
        });
        continue;
      }
      settingOrigin.set(key, { file: source.path, line });
      if (value === null || value === undefined) {
        findings.push({
          severity: 'error',
          file: source.path,
          line,
          rule: 'setting-null',
          message: `${key} has no value`,
          fix: `give ${key} a value or remove the line to use the default`,
        });
        continue;
      }
      raw[key] = value;
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
          const source = varsParsed.find((s) => s.path === origin.file);
          return { file: origin.file, line: source?.lineOf(path) ?? origin.line };
        },
        'the cluster settings',
      ),
    );
  }

  // 3. the hosts file
  if (!hostsParsed.ok) return { model: undefined, findings };
  const hostsFile = hostsParsed.source;
  const hostsPath = hostsFile.path;
  const locateHosts = (path: string[]) => ({ file: hostsPath, line: hostsFile.lineOf(path) ?? null });
  const hostsValidator = getValidators().hosts;
  if (!hostsValidator(hostsFile.data)) {
    if (!isPlainObject(hostsFile.data)) {
      findings.push({
        severity: 'error',
        file: hostsPath,
        line: 1,
        rule: 'schema',
        message: 'the hosts file must be a YAML inventory starting with "all:" and "children:"',
        fix: 'see ansible/inventories/example/hosts.yml',
      });
    } else findings.push(...schemaFindings(hostsValidator.errors ?? [], locateHosts, 'the hosts file'));
  }
  if (findings.some((f) => f.severity === 'error')) return { model: undefined, findings };
  const data = hostsFile.data as HostsFile;

  // 4. hosts and group membership (children resolved transitively)
  const hosts = new Map<string, HostModel>();
  const direct: Record<string, Set<string>> = {};
  const presentGroups = new Set<GroupName>();
  for (const group of GROUPS) {
    if (!(group in data.all.children)) continue;
    presentGroups.add(group);
    const entry = data.all.children[group] ?? {};
    const names = new Set<string>();
    direct[group] = names;
    for (const [name, vars] of Object.entries(entry.hosts ?? {})) {
      names.add(name);
      const line = hostsFile.lineOf(['all', 'children', group, 'hosts', name]) ?? null;
      let host = hosts.get(name);
      if (!host) {
        host = { name, groups: new Set(), vars: {}, address: undefined, file: hostsPath, line };
        hosts.set(name, host);
      }
      for (const [key, value] of Object.entries(vars ?? {}) as [keyof HostVars, unknown][]) {
        if (value === null || value === undefined) continue;
        const existing = host.vars[key];
        if (existing !== undefined && existing !== value) {
          findings.push({
            severity: 'error',
            file: hostsPath,
            line: hostsFile.lineOf(['all', 'children', group, 'hosts', name, key]) ?? line,
            rule: 'host-vars-conflict',
            message: `host ${name} sets ${key} to ${JSON.stringify(value)} here and to ${JSON.stringify(existing)} in another group`,
            fix: `define ${key} of ${name} once (other groups can list the host without variables)`,
          });
          continue;
        }
        (host.vars as Record<string, unknown>)[key] = value;
      }
    }
  }
  const members = Object.fromEntries(GROUPS.map((g) => [g, [] as HostModel[]])) as Record<GroupName, HostModel[]>;
  for (const group of GROUPS) {
    const names = new Set<string>();
    const visiting = new Set<GroupName>();
    const visit = (g: GroupName) => {
      if (visiting.has(g)) {
        if (g === group) {
          findings.push({
            severity: 'error',
            file: hostsPath,
            line: hostsFile.lineOf(['all', 'children', group, 'children']) ?? null,
            rule: 'group-cycle',
            message: `group ${group} includes itself through its children`,
            fix: 'remove the cycle from the children lists',
          });
        }
        return;
      }
      visiting.add(g);
      for (const n of direct[g] ?? []) names.add(n);
      for (const child of Object.keys(data.all.children[g]?.children ?? {}) as GroupName[]) {
        if (!presentGroups.has(child)) {
          if (g === group) {
            findings.push({
              severity: 'error',
              file: hostsPath,
              line: hostsFile.lineOf(['all', 'children', g, 'children', child]) ?? null,
              rule: 'groups-ha-sized',
              message: `group ${g} includes group ${child}, which is not defined`,
              fix: `define ${child} under all.children or drop it from ${g}.children`,
            });
          }
          continue;
        }
        visit(child);
      }
    };
    visit(group);
    for (const n of names) {
      const host = hosts.get(n)!;
      host.groups.add(group);
      members[group].push(host);
    }
    members[group].sort((a, b) => naturalCompare(a.name, b.name));
  }
  for (const host of hosts.values()) {
    const candidate = host.vars.vmha_address ?? host.vars.ansible_host;
    host.address = candidate !== undefined && IPV4.test(candidate) ? candidate : undefined;
  }

  // 5. settings with defaults
  const s = raw as ClusterSettings;
  const pins = sources.pins;
  const settings: ResolvedSettings = {
    version: s.vmha_version ?? pins.victoriametrics.version,
    nodeExporterVersion: s.vmha_node_exporter_version ?? pins.node_exporter.version,
    victoriametricsDownloadUrl: s.vmha_victoriametrics_download_url ?? pins.victoriametrics.release_url,
    nodeExporterDownloadUrl: s.vmha_node_exporter_download_url ?? pins.node_exporter.release_url,
    replicationFactor: s.vmha_replication_factor ?? 2,
    scrapeInterval: s.vmha_scrape_interval ?? '15s',
    dedupInterval: s.vmha_dedup_interval ?? '15s',
    retention: s.vmha_retention ?? '2M',
    writeDnsName: s.vmha_write_dns_name,
    readDnsName: s.vmha_read_dns_name,
    manageDns: s.vmha_manage_dns ?? true,
    ports: { ...DEFAULT_PORTS, ...(s.vmha_ports ?? {}) },
    authEnabled: s.vmha_auth_enabled ?? true,
    credentials: Object.fromEntries(CREDENTIAL_KEYS.filter((k) => s[k] !== undefined).map((k) => [k, s[k]])),
    componentSecrets: Object.fromEntries(COMPONENT_SECRET_KEYS.filter((k) => s[k] !== undefined).map((k) => [k, s[k]])),
    tlsEnabled: s.vmha_tls_enabled ?? false,
    tlsCertFile: s.vmha_tls_cert_file,
    tlsKeyFile: s.vmha_tls_key_file,
    tlsCaFile: s.vmha_tls_ca_file,
    firewallEnabled: s.vmha_firewall_enabled ?? true,
    vmagentQueueMaxBytes: s.vmha_vmagent_queue_max_bytes ?? 1073741824,
    grafanaPackageUrl: s.vmha_grafana_package_url,
  };

  return {
    model: {
      hostsFile,
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
