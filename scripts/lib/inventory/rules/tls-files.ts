// Inventory rule `tls-files`: with TLS on, the certificate and key files are set, absolute and present.
import { isTemplated } from '../rules.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'tls-files',
  check(ctx) {
    const { model, settings, settingAt, error } = ctx;
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
  },
};
