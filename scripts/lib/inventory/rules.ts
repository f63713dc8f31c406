// What the inventory rules share: group sizes, duration and retention parsing, password
// strength, secret resolution. The rules themselves are the registry in rules/ (checkRules). Pure.
import type { Finding, HostModel, InventoryModel } from './model.js';
import { COMPONENTS, mapTable } from '../components.js';
import { COMPONENT_SECRET_KEYS, IPV4_PATTERN, type GroupName } from './schema.js';
import { VAULT_PREFIX } from './yaml-source.js';

/** Minimum members of every group (HA: each tier survives the loss of one host). */
export const MIN_GROUP_SIZE: Record<GroupName, number> = mapTable(COMPONENTS, (c) => c.minSize);

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

export const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
export const IPV4 = new RegExp(IPV4_PATTERN);
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

export function listSome(items: string[]): string {
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

/**
 * Backup settings: credentials come in pairs, belong to the destination's scheme, and are not
 * set without a destination (they would silently do nothing).
 */
export function backupFindings(model: InventoryModel, settingAt: (key: string) => { file: string; line: number | null }): Finding[] {
  const out: Finding[] = [];
  const raw = model.raw;
  const b = model.settings.backup;
  const at = (key: string) => settingAt(key);
  const scheme = b ? b.destination.slice(0, b.destination.indexOf('://')) : undefined;
  const owned: Record<string, string> = {
    vmha_backup_s3_endpoint: 's3',
    vmha_backup_s3_access_key_id: 's3',
    vmha_backup_s3_secret_access_key: 's3',
    vmha_backup_gcs_credentials_json: 'gs',
    vmha_backup_azure_account_name: 'azblob',
    vmha_backup_azure_account_key: 'azblob',
  };
  for (const [key, wants] of Object.entries(owned)) {
    if ((raw as Record<string, unknown>)[key] === undefined) continue;
    if (!b) {
      const where = at(key);
      out.push({ severity: 'warning', file: where.file, line: where.line, rule: 'backup-settings-unused',
        message: `${key} is set but vmha_backup_destination is not, so no backup runs and ${key} is not used`,
        fix: `set vmha_backup_destination (e.g. vmha_backup_destination: ${wants}://vmha-backups) or remove ${key}` });
    } else if (scheme !== wants) {
      const where = at(key);
      out.push({ severity: 'error', file: where.file, line: where.line, rule: 'backup-credentials-scheme',
        message: `${key} belongs to ${wants}:// destinations, but vmha_backup_destination is ${b.destination}`,
        fix: `remove ${key}, or point vmha_backup_destination at a ${wants}:// location` });
    }
  }
  const pairs: [string, string][] = [
    ['vmha_backup_s3_access_key_id', 'vmha_backup_s3_secret_access_key'],
    ['vmha_backup_azure_account_name', 'vmha_backup_azure_account_key'],
  ];
  for (const [first, second] of pairs) {
    const has = (key: string) => (raw as Record<string, unknown>)[key] !== undefined;
    if (has(first) !== has(second)) {
      const set = has(first) ? first : second;
      const missing = has(first) ? second : first;
      const where = at(set);
      out.push({ severity: 'error', file: where.file, line: where.line, rule: 'backup-credentials-pair',
        message: `${set} is set without ${missing}: the backup destination needs both or neither (neither uses the default credential chain)`,
        fix: `add ${missing}: "{{ vault_${missing} }}" (vaulted), or remove ${set}` });
    }
  }
  const secret = raw.vmha_backup_s3_secret_access_key ?? raw.vmha_backup_azure_account_key;
  const secretKey = raw.vmha_backup_s3_secret_access_key !== undefined ? 'vmha_backup_s3_secret_access_key' : 'vmha_backup_azure_account_key';
  if (b && secret !== undefined) {
    const resolved = resolveSecret(model, secretKey, String(secret), at(secretKey));
    if (resolved.value !== undefined && resolved.value.length < 16) {
      out.push({ severity: 'error', file: resolved.at.file, line: resolved.at.line, rule: 'backup-credentials-weak',
        message: `${secretKey} has ${resolved.value.length} characters; a backup credential needs at least 16`,
        fix: `use the long random secret the storage service issued, vaulted: ${secretKey}: "{{ vault_${secretKey} }}"` });
    }
  }
  return out;
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

export const secretId = (r: ResolvedSecret) => (r.value !== undefined ? `=${r.value}` : `?${r.written}`);
export const sameSecret = (a: ResolvedSecret, b: ResolvedSecret) => secretId(a) === secretId(b);

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

