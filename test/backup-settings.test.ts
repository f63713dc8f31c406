// The vmha_backup_* settings: schema, rule `backup` and the vmbackup role variables they generate.
import { expect } from 'chai';
import yaml from 'js-yaml';
import type { InventorySources } from '../scripts/lib/inventory/index.js';
import { deriveVars } from '../scripts/lib/inventory/derive.js';
import { loadInventory } from '../scripts/lib/inventory/model.js';
import { readPins } from '../scripts/lib/inventory/read.js';
import { checkRules } from '../scripts/lib/inventory/rules/index.js';
import { syntheticInventory } from '../scripts/lib/inventory/synthetic.js';

const pins = readPins();
const base = syntheticInventory();

function load(overrides: Record<string, unknown>) {
  const data = { ...(yaml.load(base.vmhaYml) as Record<string, unknown>), ...overrides };
  const sources: InventorySources = {
    hosts: { path: 'inv/hosts.yml', text: base.hostsYml },
    groupVars: [{ path: 'inv/group_vars/all/vmha.yml', text: yaml.dump(data) }],
    settingsFile: 'inv/group_vars/all/vmha.yml',
    pins,
  };
  return loadInventory(sources);
}
const rulesOf = (overrides: Record<string, unknown>) => {
  const loaded = load(overrides);
  return [...loaded.findings, ...(loaded.model ? checkRules(loaded.model) : [])].map((f) => f.rule);
};

describe('backup settings', () => {
  it('generate no vmbackup variables without a destination (the role then removes its units)', () => {
    const vars = deriveVars(load({}).model!);
    expect(Object.keys(vars).filter((k) => k.startsWith('vmbackup_'))).to.deep.equal([]);
  });

  it('generate the S3 destination with references to the vaulted settings, never their values', () => {
    const secret = 'a-very-long-s3-secret-key-value';
    const vars = deriveVars(
      load({
        vmha_backup_destination: 's3://vmha-backups/site-a/',
        vmha_backup_s3_endpoint: 'https://s3.example.internal:9000',
        vmha_backup_s3_access_key_id: 'backup',
        vmha_backup_s3_secret_access_key: secret,
      }).model!,
    );
    expect(vars.vmbackup_destination).to.equal('s3://vmha-backups/site-a');
    expect(vars.vmbackup_s3_endpoint).to.equal('https://s3.example.internal:9000');
    expect(vars.vmbackup_s3_secret_access_key).to.equal('{{ vmha_backup_s3_secret_access_key }}');
    expect(vars.vmbackup_snapshot_auth_key).to.equal('{{ vmha_snapshot_auth_key }}');
    expect(vars.vmbackup_schedule).to.equal('hourly');
    expect(vars.vmbackup_full_schedule).to.equal('daily');
    expect(JSON.stringify(vars)).to.not.contain(secret);
  });

  it('accept the four destination kinds and refuse others', () => {
    for (const ok of ['s3://bucket', 'gs://bucket/path/x', 'azblob://container/p', 'fs:///mnt/backups']) {
      expect(rulesOf({ vmha_backup_destination: ok }), ok).to.not.include('schema');
    }
    for (const bad of ['http://bucket', 's3://', 'fs://relative/dir', 'minio://x']) {
      expect(load({ vmha_backup_destination: bad }).findings.some((f) => f.severity === 'error'), bad).to.equal(true);
    }
  });

  it('want the S3 key pair together, on an s3:// destination, and the secret long', () => {
    expect(rulesOf({ vmha_backup_destination: 's3://bucket', vmha_backup_s3_access_key_id: 'backup' })).to.include('backup-credentials-pair');
    expect(rulesOf({ vmha_backup_destination: 'gs://bucket', vmha_backup_s3_access_key_id: 'k', vmha_backup_s3_secret_access_key: 'x'.repeat(20) })).to.include(
      'backup-credentials-scheme',
    );
    expect(rulesOf({ vmha_backup_destination: 's3://bucket', vmha_backup_s3_access_key_id: 'k', vmha_backup_s3_secret_access_key: 'short' })).to.include(
      'backup-credentials-weak',
    );
    expect(rulesOf({ vmha_backup_destination: 's3://bucket', vmha_backup_s3_access_key_id: 'k', vmha_backup_s3_secret_access_key: 'x'.repeat(20) }).filter((r) => r.startsWith('backup'))).to.deep.equal([]);
  });
});
