// The lab's own CA and a certificate for every load balancer (both DNS names and addresses),
// made once with openssl and kept, like an operator's PKI. Private keys are 0600.
import { existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { $ } from 'zx';
import { labTlsFiles, labTlsSubjectAltNames } from '../lab-topology.js';
import { log, repoRoot, tlsDir } from './common.js';

export async function ensureTls(): Promise<void> {
  const file = (name: string) => path.join(tlsDir, name);
  if (Object.values(labTlsFiles).every((name) => existsSync(file(name)))) return;
  log(`creating the lab CA and load balancer certificate in ${path.relative(repoRoot, tlsDir)}/`);
  await fsp.mkdir(tlsDir, { recursive: true, mode: 0o700 });
  const extensions = file('lb.ext');
  await fsp.writeFile(extensions, `subjectAltName=${labTlsSubjectAltNames().join(',')}\nextendedKeyUsage=serverAuth\n`);
  const quiet = $({ cwd: tlsDir, quiet: true });
  await quiet`openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj ${'/CN=vmha lab CA'} -keyout ${labTlsFiles.caKey} -out ${labTlsFiles.caCert}`;
  await quiet`openssl req -newkey rsa:2048 -nodes -subj ${'/CN=vmha lab load balancers'} -keyout ${labTlsFiles.key} -out lb.csr`;
  await quiet`openssl x509 -req -days 825 -in lb.csr -CA ${labTlsFiles.caCert} -CAkey ${labTlsFiles.caKey} -CAcreateserial -extfile ${extensions} -out ${labTlsFiles.cert}`;
  await Promise.all([labTlsFiles.caKey, labTlsFiles.key].map((name) => fsp.chmod(file(name), 0o600)));
  await Promise.all(['lb.csr', 'lb.ext', 'ca.srl'].map((name) => fsp.rm(file(name), { force: true })));
}
