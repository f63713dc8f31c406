// Inventory rule `credentials`: credentials and component secrets: set, strong, not shared, vaulted.
// security: credentials, checked on the values Ansible will use ({{ vault_x }} followed)
import { MIN_PASSWORD_LENGTH, isTemplated, isVaulted, listSome, passwordWeakness, resolveSecret, isPlaceholder, secretId, sameSecret, componentSecretPurpose, type ResolvedSecret } from '../rules.js';
import { COMPONENT_SECRET_KEYS, CREDENTIAL_KEYS } from '../schema.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'credentials',
  check(ctx) {
    const { model, settings, settingAt, error, warn } = ctx;
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
  },
};
