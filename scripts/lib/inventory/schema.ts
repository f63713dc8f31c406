// The inventory contract as TypeScript types and the JSON Schemas typed against them
// (ajv's JSONSchemaType<T> makes the compiler reject any drift between the two).
// `schemas/*.schema.json` are rendered from these objects (`npm run generate -- --schemas`);
// a unit test fails when the committed files differ.
import type { JSONSchemaType } from 'ajv';
import { COMPONENTS, GROUPS, mapTable, PORTS, type GroupName, type PortKey } from '../components.js';

export { GROUPS, type GroupName } from '../components.js';

/** Groups an inventory may leave out. */
export const OPTIONAL_GROUPS: readonly GroupName[] = GROUPS.filter((g) => COMPONENTS[g].optional);

/** Connection variables Ansible understands; allowed on hosts and in group `vars`. */
export interface ConnectionVars {
  ansible_user?: string;
  ansible_port?: number;
  ansible_connection?: string;
  ansible_become?: boolean;
  ansible_python_interpreter?: string;
  ansible_ssh_private_key_file?: string;
  ansible_ssh_common_args?: string;
}

export interface HostVars extends ConnectionVars {
  ansible_host?: string;
  vmha_address?: string;
  vmha_vmagent_member_num?: number;
}

export interface GroupEntry {
  hosts?: Record<string, HostVars | null> | null;
  children?: Record<string, Record<string, never> | null> | null;
  vars?: ConnectionVars | null;
}

export interface HostsFile {
  all: {
    children: Partial<Record<GroupName, GroupEntry | null>>;
    vars?: ConnectionVars | null;
  };
}

export type VmhaPorts = Record<PortKey, number>;

export const DEFAULT_PORTS: VmhaPorts = mapTable(PORTS, (port) => port.default);

export interface ClusterSettings {
  vmha_version?: string;
  vmha_node_exporter_version?: string;
  vmha_victoriametrics_download_url?: string;
  vmha_node_exporter_download_url?: string;
  vmha_replication_factor?: number;
  vmha_scrape_interval?: string;
  vmha_dedup_interval?: string;
  vmha_retention?: string;
  vmha_write_dns_name?: string;
  vmha_read_dns_name?: string;
  vmha_manage_dns?: boolean;
  vmha_ports?: Partial<VmhaPorts>;
  vmha_auth_enabled?: boolean;
  vmha_write_username?: string;
  vmha_write_password?: string;
  vmha_read_username?: string;
  vmha_read_password?: string;
  vmha_vminsert_password?: string;
  vmha_vmselect_password?: string;
  vmha_vmstorage_password?: string;
  vmha_metrics_auth_key?: string;
  vmha_delete_auth_key?: string;
  vmha_snapshot_auth_key?: string;
  vmha_force_merge_auth_key?: string;
  vmha_force_flush_auth_key?: string;
  vmha_reset_cache_auth_key?: string;
  vmha_pprof_auth_key?: string;
  vmha_flags_auth_key?: string;
  vmha_tls_enabled?: boolean;
  vmha_tls_cert_file?: string;
  vmha_tls_key_file?: string;
  vmha_tls_ca_file?: string;
  vmha_firewall_enabled?: boolean;
  vmha_vmagent_queue_max_bytes?: number;
  vmha_backup_destination?: string;
  vmha_backup_s3_endpoint?: string;
  vmha_backup_s3_access_key_id?: string;
  vmha_backup_s3_secret_access_key?: string;
  vmha_backup_gcs_credentials_json?: string;
  vmha_backup_azure_account_name?: string;
  vmha_backup_azure_account_key?: string;
  vmha_backup_schedule?: string;
  vmha_backup_full_schedule?: string;
  vmha_grafana_package_url?: string;
  vmha_grafana_package_sha256?: string;
  vmha_allow_single_points_of_failure?: boolean;
  vmha_alertmanager_version?: string;
  vmha_alertmanager_download_url?: string;
  vmha_alert_webhook_urls?: string[];
}

export const CREDENTIAL_KEYS = [
  'vmha_write_username',
  'vmha_write_password',
  'vmha_read_username',
  'vmha_read_password',
] as const satisfies readonly (keyof ClusterSettings)[];

/**
 * Secrets of the component endpoints (vminsert, vmselect, vmstorage): the backend basic-auth
 * passwords the load balancers pass on, and one key per admin API. Required while
 * vmha_auth_enabled is true; every value distinct.
 */
export const COMPONENT_SECRET_KEYS = [
  'vmha_vminsert_password',
  'vmha_vmselect_password',
  'vmha_vmstorage_password',
  'vmha_metrics_auth_key',
  'vmha_delete_auth_key',
  'vmha_snapshot_auth_key',
  'vmha_force_merge_auth_key',
  'vmha_force_flush_auth_key',
  'vmha_reset_cache_auth_key',
  'vmha_pprof_auth_key',
  'vmha_flags_auth_key',
] as const satisfies readonly (keyof ClusterSettings)[];
export type ComponentSecretKey = (typeof COMPONENT_SECRET_KEYS)[number];

/** Every key a secrets/vault file may set (the others there are ignored). */
export const SECRET_KEYS: readonly string[] = [...CREDENTIAL_KEYS, ...COMPONENT_SECRET_KEYS];

export const SCHEMA_BASE = 'https://vmha.invalid/schemas/';

/**
 * Defaults of the cluster settings: the model's values for unset settings and the "(default ...)"
 * of the schema descriptions. Role defaults that repeat one are held to it by test/one-source.test.ts.
 */
export const SETTING_DEFAULTS = {
  vmha_replication_factor: 2,
  vmha_scrape_interval: '15s',
  vmha_dedup_interval: '15s',
  vmha_retention: '2M',
  vmha_manage_dns: true,
  vmha_auth_enabled: true,
  vmha_tls_enabled: false,
  vmha_firewall_enabled: true,
  vmha_vmagent_queue_max_bytes: 1073741824,
  vmha_allow_single_points_of_failure: false,
} as const satisfies Partial<ClusterSettings>;
const D = SETTING_DEFAULTS;

const str = (description: string) => ({ type: 'string', nullable: true, description }) as const;
const bool = (description: string) => ({ type: 'boolean', nullable: true, description }) as const;
const port = (description: string) =>
  ({ type: 'integer', minimum: 1, maximum: 65535, nullable: true, description }) as const;

const connectionProperties = {
  ansible_user: str('SSH user Ansible logs in as'),
  ansible_port: port('SSH port'),
  ansible_connection: str('Ansible connection plugin (ssh, docker, local, ...)'),
  ansible_become: bool('whether Ansible escalates privileges'),
  ansible_python_interpreter: str('Python interpreter on the host'),
  ansible_ssh_private_key_file: str('private key file Ansible logs in with (controller path)'),
  ansible_ssh_common_args: str('extra options for ssh, sftp and scp (e.g. a jump host: -o ProxyJump=bastion)'),
} as const;

export const IPV4_PATTERN =
  '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$';

const connectionVarsSchema = {
  type: 'object' as const,
  description: 'connection variables shared by the hosts of a group',
  additionalProperties: false as const,
  properties: connectionProperties,
} as const;

const hostVarsSchema = {
  type: 'object' as const,
  description: 'variables of one host',
  additionalProperties: false as const,
  properties: {
    ...connectionProperties,
    ansible_host: str('address or name Ansible connects to (required on real VMs)'),
    vmha_address: {
      type: 'string',
      nullable: true,
      pattern: IPV4_PATTERN,
      description: 'IPv4 address other components use to reach this host (default: ansible_host)',
    },
    vmha_vmagent_member_num: {
      type: 'integer',
      minimum: 0,
      nullable: true,
      description:
        'vmagent hosts only: -promscrape.cluster.memberNum; either every vmagent sets it (unique, 0..N-1) or none does',
    },
  },
} as const;

// One shared definition for every group: ajv compiles it once (the 10,000-host benchmark
// starts faster) and the JSON file stays short.
const groupDefinition =
  ({
  type: 'object' as const,
  nullable: true as const,
  description: 'one inventory group: hosts, child groups, connection vars',
  additionalProperties: false as const,
  properties: {
    hosts: {
      type: 'object',
      nullable: true,
      description: 'hosts of the group, by inventory host name',
      required: [],
      additionalProperties: { ...hostVarsSchema, nullable: true as const },
    },
    children: {
      type: 'object',
      nullable: true,
      description: 'other vmha groups whose hosts also belong to this group (e.g. node_exporter)',
      required: [],
      propertyNames: { enum: [...GROUPS] },
      additionalProperties: {
        type: 'object',
        nullable: true,
        description: 'a child group reference (empty)',
        required: [],
        maxProperties: 0,
      },
    },
    vars: { ...connectionVarsSchema, nullable: true as const },
  },
}) as const;

/** Compile-time proof that the shared definition matches GroupEntry (never used at run time). */
export const groupDefinitionTypeCheck: JSONSchemaType<{ group?: GroupEntry | null }> = {
  type: 'object',
  required: [],
  properties: { group: groupDefinition },
};

const groupRef = (group: GroupName) => ({ $ref: '#/definitions/group', description: `the ${group} group` });

export const hostsSchema: JSONSchemaType<HostsFile> = {
  $id: `${SCHEMA_BASE}hosts.schema.json`,
  title: 'vmha hosts inventory (hosts.yml)',
  description: 'Standard Ansible YAML inventory with the vmha groups under all.children',
  type: 'object',
  additionalProperties: false,
  required: ['all'],
  // checked against GroupEntry by groupDefinitionTypeCheck; `definitions` itself is loosely typed
  definitions: { group: groupDefinition } as unknown as Record<string, JSONSchemaType<unknown>>,
  properties: {
    all: {
      type: 'object',
      description: 'the Ansible `all` group',
      additionalProperties: false,
      required: ['children'],
      properties: {
        children: {
          type: 'object',
          description: 'the vmha groups',
          additionalProperties: false,
          required: [],
          properties: mapTable(COMPONENTS, (_, group) => groupRef(group)),
        },
        vars: { ...connectionVarsSchema, nullable: true as const },
      },
    },
  },
};

// built per port, so ajv's JSONSchemaType cannot follow it: cast once here
const portsProperties = mapTable(PORTS, (p) => ({
  type: 'integer',
  minimum: 1,
  maximum: 65535,
  nullable: true,
  description: `${p.description} (default ${p.default})`,
})) as unknown as JSONSchemaType<Partial<VmhaPorts>>['properties'];

export const RETENTION_PATTERN = '^[1-9][0-9]*(h|d|w|M|y)$';
export const DURATION_PATTERN = '^[1-9][0-9]*(ms|s|m|h)$';
export const VERSION_PATTERN = '^[0-9]+\\.[0-9]+\\.[0-9]+$';
/** vmbackup -dst schemes: s3, gs, azblob (a bucket or container, optional path) or fs (an absolute directory). */
export const BACKUP_DESTINATION_PATTERN = '^((s3|gs)://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]|azblob://[a-z0-9][a-z0-9-]{1,61}[a-z0-9])(/[A-Za-z0-9._/-]*)?$|^fs:///[A-Za-z0-9._/-]*$';
/** A systemd OnCalendar= expression: letters, digits and * , . : / - ~ and spaces (systemd-analyze calendar checks it on the host). */
export const CALENDAR_PATTERN = '^[A-Za-z0-9*,.:/~ -]+$';

export const settingsSchema: JSONSchemaType<ClusterSettings> = {
  $id: `${SCHEMA_BASE}cluster-settings.schema.json`,
  title: 'vmha cluster settings (group_vars/all/*.yml)',
  description: 'The vmha_* variables an operator sets in group_vars/all/vmha.yml',
  type: 'object',
  additionalProperties: false,
  properties: {
    vmha_version: {
      type: 'string',
      nullable: true,
      pattern: VERSION_PATTERN,
      description: 'VictoriaMetrics version for every component, e.g. 1.151.0 (no v); default from ansible/versions.yml',
    },
    vmha_node_exporter_version: {
      type: 'string',
      nullable: true,
      pattern: VERSION_PATTERN,
      description: 'node_exporter version, e.g. 1.9.1; default from ansible/versions.yml',
    },
    vmha_victoriametrics_download_url: {
      type: 'string',
      nullable: true,
      pattern: '^https?://[^\\s]+[^/\\s]$',
      description: 'base URL of VictoriaMetrics releases; files come from <base>/v<version>/<file> (no trailing slash)',
    },
    vmha_node_exporter_download_url: {
      type: 'string',
      nullable: true,
      pattern: '^https?://[^\\s]+[^/\\s]$',
      description: 'base URL of node_exporter releases; <base>/v<version>/node_exporter-<version>.linux-amd64.tar.gz',
    },
    vmha_replication_factor: {
      type: 'integer',
      nullable: true,
      minimum: 1,
      default: D.vmha_replication_factor,
      description: `vminsert and vmselect -replicationFactor (default ${D.vmha_replication_factor}); at most the number of vmstorage hosts`,
    },
    vmha_scrape_interval: {
      type: 'string',
      nullable: true,
      pattern: DURATION_PATTERN,
      default: D.vmha_scrape_interval,
      description: `vmagent scrape interval, e.g. 15s (default ${D.vmha_scrape_interval})`,
    },
    vmha_dedup_interval: {
      type: 'string',
      nullable: true,
      pattern: DURATION_PATTERN,
      default: D.vmha_dedup_interval,
      description: `-dedup.minScrapeInterval, must equal vmha_scrape_interval (default ${D.vmha_dedup_interval})`,
    },
    vmha_retention: {
      type: 'string',
      nullable: true,
      pattern: RETENTION_PATTERN,
      default: D.vmha_retention,
      description: `retention: a number plus h, d, w, M (months) or y, at least 24h (default ${D.vmha_retention})`,
    },
    vmha_write_dns_name: {
      type: 'string',
      nullable: true,
      description: 'DNS name that resolves to the lb_insert hosts (required)',
    },
    vmha_read_dns_name: {
      type: 'string',
      nullable: true,
      description: 'DNS name that resolves to the lb_select hosts (required)',
    },
    vmha_manage_dns: { ...bool(`vmha writes the DNS records into every host's hosts file (default ${D.vmha_manage_dns}); false when the site DNS holds them`), default: D.vmha_manage_dns },
    vmha_ports: {
      type: 'object',
      nullable: true,
      description: 'ports of every component; unset keys keep their defaults',
      additionalProperties: false,
      required: [],
      properties: portsProperties,
    },
    vmha_auth_enabled: { ...bool(`load balancers require credentials (default ${D.vmha_auth_enabled})`), default: D.vmha_auth_enabled },
    vmha_write_username: str('write-path user name (vmagent -> lb_insert)'),
    vmha_write_password: str('write-path password, >= 16 characters; keep it in ansible-vault'),
    vmha_read_username: str('read-path user name (Grafana -> lb_select)'),
    vmha_read_password: str('read-path password, >= 16 characters; keep it in ansible-vault'),
    vmha_vminsert_password: str('vminsert -httpAuth.password (user vmha): the write load balancers pass it on; >= 16 characters, vaulted'),
    vmha_vmselect_password: str('vmselect -httpAuth.password (user vmha): the read load balancers pass it on; >= 16 characters, vaulted'),
    vmha_vmstorage_password: str('vmstorage -httpAuth.password (user vmha) for its other HTTP routes; >= 16 characters, vaulted'),
    vmha_metrics_auth_key: str('-metricsAuthKey of vminsert, vmselect and vmstorage; vmagent scrapes /metrics with it; >= 16 characters, vaulted'),
    vmha_delete_auth_key: str('vmselect -deleteAuthKey (series deletion); >= 16 characters, vaulted'),
    vmha_snapshot_auth_key: str('vmstorage -snapshotAuthKey (/snapshot/*); >= 16 characters, vaulted'),
    vmha_force_merge_auth_key: str('vmstorage -forceMergeAuthKey; >= 16 characters, vaulted'),
    vmha_force_flush_auth_key: str('vmstorage -forceFlushAuthKey; >= 16 characters, vaulted'),
    vmha_reset_cache_auth_key: str('vmselect -search.resetCacheAuthKey and -metricNamesStatsResetAuthKey; >= 16 characters, vaulted'),
    vmha_pprof_auth_key: str('-pprofAuthKey of vminsert, vmselect and vmstorage (and vmstorage -logNewSeriesAuthKey); >= 16 characters, vaulted'),
    vmha_flags_auth_key: str('-flagsAuthKey of vminsert, vmselect and vmstorage; >= 16 characters, vaulted'),
    vmha_tls_enabled: { ...bool(`TLS on the load balancers (default ${D.vmha_tls_enabled})`), default: D.vmha_tls_enabled },
    vmha_tls_cert_file: str('controller path of the load balancer certificate (PEM), required with TLS'),
    vmha_tls_key_file: str('controller path of the load balancer private key (PEM), required with TLS'),
    vmha_tls_ca_file: str('controller path of the CA certificate (PEM) that vmagent and Grafana trust for the load balancers; leave unset when the certificate chains to a CA the hosts already trust'),
    vmha_firewall_enabled: { ...bool(`nftables tier isolation (default ${D.vmha_firewall_enabled})`), default: D.vmha_firewall_enabled },
    vmha_vmagent_queue_max_bytes: {
      type: 'integer',
      nullable: true,
      minimum: 1048576,
      default: D.vmha_vmagent_queue_max_bytes,
      description: `cap on the vmagent on-disk queue in bytes (default ${D.vmha_vmagent_queue_max_bytes})`,
    },
    vmha_backup_destination: {
      type: 'string',
      nullable: true,
      pattern: BACKUP_DESTINATION_PATTERN,
      description:
        'where every vmstorage is backed up (vmbackup): s3://bucket[/path], gs://bucket[/path], azblob://container[/path] or fs:///mounted/dir; each host writes under <destination>/<host>/; unset: no backups',
    },
    vmha_backup_s3_endpoint: {
      type: 'string',
      nullable: true,
      pattern: '^https?://[^\\s/]+(/[^\\s]*)?$',
      description: 'endpoint of an S3-compatible server for s3:// destinations other than AWS (vmbackup -customS3Endpoint), e.g. http://s3.internal:8333',
    },
    vmha_backup_s3_access_key_id: str('S3 access key id of the backup destination (with vmha_backup_s3_secret_access_key); unset: the default AWS credential chain'),
    vmha_backup_s3_secret_access_key: str('S3 secret access key of the backup destination; keep it in ansible-vault'),
    vmha_backup_gcs_credentials_json: str('GCS service account key (JSON text) for gs:// destinations; unset: the default application credentials; vault it'),
    vmha_backup_azure_account_name: str('Azure storage account for azblob:// destinations (with vmha_backup_azure_account_key)'),
    vmha_backup_azure_account_key: str('Azure storage account key for azblob:// destinations; vault it'),
    vmha_backup_schedule: {
      type: 'string',
      nullable: true,
      pattern: CALENDAR_PATTERN,
      description: 'systemd OnCalendar= of the incremental backup of every vmstorage to <destination>/<host>/latest (default hourly)',
    },
    vmha_backup_full_schedule: {
      type: 'string',
      nullable: true,
      pattern: CALENDAR_PATTERN,
      description: 'systemd OnCalendar= of the full copy to <destination>/<host>/daily/YYYY-MM-DD, made on the destination from latest (default daily)',
    },
    vmha_grafana_package_url: str('Grafana package URL; "" skips installing Grafana (provisioning still rendered)'),
    vmha_grafana_package_sha256: {
      type: 'string',
      nullable: true,
      pattern: '^[0-9a-fA-F]{64}$',
      description: 'sha256 of the .deb at vmha_grafana_package_url (64 hex digits); required with a URL',
    },
    vmha_alertmanager_version: {
      type: 'string',
      nullable: true,
      pattern: VERSION_PATTERN,
      description: 'Alertmanager version, e.g. 0.35.0; default from ansible/versions.yml',
    },
    vmha_alertmanager_download_url: {
      type: 'string',
      nullable: true,
      pattern: '^https?://[^\\s]+[^/\\s]$',
      description: 'base URL of Alertmanager releases; <base>/v<version>/alertmanager-<version>.linux-amd64.tar.gz',
    },
    vmha_alert_webhook_urls: {
      type: 'array',
      nullable: true,
      items: { type: 'string', pattern: '^https?://[^\\s]+$' },
      description: 'webhook URLs the alertmanagers send every notification to (firing and resolved); [] for none',
    },
    vmha_allow_single_points_of_failure: {
      ...bool(
        `accept replication factor 1 or a single vminsert, vmselect, vmstorage, vmagent or load balancer (default ${D.vmha_allow_single_points_of_failure}: an error); for test setups only`,
      ),
      default: D.vmha_allow_single_points_of_failure,
    },
  },
};

/** Each setting's format in words, with an example line (for fix lines). */
export const SETTING_FORMATS: Record<string, string> = {
  vmha_version: 'three numbers with dots and no "v", e.g. vmha_version: "1.150.0"',
  vmha_node_exporter_version: 'three numbers with dots and no "v", e.g. vmha_node_exporter_version: "1.9.1"',
  vmha_victoriametrics_download_url: 'an http:// or https:// URL without a trailing slash, e.g. vmha_victoriametrics_download_url: https://mirror.example.internal/victoriametrics',
  vmha_node_exporter_download_url: 'an http:// or https:// URL without a trailing slash, e.g. vmha_node_exporter_download_url: https://mirror.example.internal/node_exporter',
  vmha_replication_factor: 'a whole number of copies, 2 or more and at most the number of vmstorage hosts, e.g. vmha_replication_factor: 2',
  vmha_scrape_interval: 'a whole number followed by ms, s (seconds), m (minutes) or h (hours), e.g. vmha_scrape_interval: 15s',
  vmha_dedup_interval: 'the same duration as vmha_scrape_interval: a whole number followed by ms, s, m (minutes) or h, e.g. vmha_dedup_interval: 15s',
  vmha_retention: 'a whole number followed by h (hours), d (days), w (weeks), M (months; 2M = two months) or y (years), from 24h to 1200M, e.g. vmha_retention: 2M',
  vmha_write_dns_name: 'a DNS name, e.g. vmha_write_dns_name: vm-write.example.internal',
  vmha_read_dns_name: 'a DNS name, e.g. vmha_read_dns_name: vm-read.example.internal',
  vmha_ports: 'a mapping of port names to whole numbers from 1 to 65535, e.g. vmha_ports: {lb_insert: 8427}',
  vmha_vmagent_queue_max_bytes: 'a whole number of bytes, at least 1048576 (1 MiB), e.g. vmha_vmagent_queue_max_bytes: 1073741824 (1 GiB)',
  vmha_backup_destination: 's3://bucket, s3://bucket/path, gs://bucket/path, azblob://container/path or fs:///absolute/mounted/dir, e.g. vmha_backup_destination: s3://vmha-backups',
  vmha_backup_s3_endpoint: 'an http:// or https:// URL of the S3-compatible server, e.g. vmha_backup_s3_endpoint: https://s3.example.internal:9000',
  vmha_backup_schedule: 'a systemd calendar expression, e.g. vmha_backup_schedule: hourly (or "*-*-* *:30:00")',
  vmha_backup_full_schedule: 'a systemd calendar expression, e.g. vmha_backup_full_schedule: daily (or "*-*-* 03:00:00")',
  vmha_grafana_package_url: 'a URL of the Grafana .deb, or "" to skip installing Grafana, e.g. vmha_grafana_package_url: ""',
  vmha_grafana_package_sha256: 'the 64 hex digits of the .deb\'s sha256 (sha256sum grafana_*.deb), e.g. vmha_grafana_package_sha256: 3f5a...',
};

/** Format of a setting in words with an example, from SETTING_FORMATS or the schema type. */
export function settingFormat(key: string): string {
  if (SETTING_FORMATS[key]) return SETTING_FORMATS[key]!;
  const prop = (settingsSchema.properties as Record<string, { type?: string }>)[key];
  if (prop?.type === 'boolean') return `true or false, e.g. ${key}: true`;
  if (prop?.type === 'integer') return `a whole number, e.g. ${key}: 1`;
  if (key.endsWith('_file')) return `an absolute path on the controller, e.g. ${key}: /etc/vmha/tls/${key.includes('key') ? 'lb.key' : key.includes('ca') ? 'ca.crt' : 'lb.crt'}`;
  if (key.endsWith('_password') || key.endsWith('_key')) return `text, best a reference to a vaulted variable, e.g. ${key}: "{{ vault_${key} }}"`;
  return `text in quotes, e.g. ${key}: "value"`;
}

export const SETTINGS_KEYS = Object.keys(settingsSchema.properties ?? {}) as (keyof ClusterSettings)[];
export const HOST_VAR_KEYS = Object.keys(hostVarsSchema.properties) as (keyof HostVars)[];
