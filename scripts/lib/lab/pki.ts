// The lab's own CA and a certificate for every load balancer (both DNS names and addresses),
// made once by pki.yml (community.crypto) and kept, like an operator's PKI. Private keys are 0600.
import { existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { $ } from 'zx';
import { labTlsFiles, labTlsSubjectAltNames } from '../lab-topology.js';
import { log, repoRoot, tlsDir } from './common.js';

export async function ensureTls(): Promise<void> {
  if (Object.values(labTlsFiles).every((name) => existsSync(path.join(tlsDir, name)))) return;
  log(`creating the lab CA and load balancer certificate in ${path.relative(repoRoot, tlsDir)}/`);
  await fsp.mkdir(tlsDir, { recursive: true, mode: 0o700 });
  const vars = path.join(tlsDir, 'pki-vars.json');
  await fsp.writeFile(vars, JSON.stringify({ lab_tls_dir: tlsDir, lab_tls_files: labTlsFiles, lab_tls_subject_alt_names: labTlsSubjectAltNames() }));
  try {
    const playbook = path.join(repoRoot, 'scripts', 'lib', 'lab', 'pki.yml');
    const run = await $({ quiet: true, nothrow: true, env: { ...process.env, ANSIBLE_NOCOLOR: '1' } })`${path.join(repoRoot, '.venv', 'bin', 'ansible-playbook')} -i localhost, ${playbook} -e ${`@${vars}`}`;
    if (run.exitCode !== 0) throw new Error(`the lab PKI (${path.relative(repoRoot, playbook)}) failed:\n${run.stdout.slice(-3000)}${run.stderr.slice(-1000)}`);
  } finally {
    await fsp.rm(vars, { force: true });
  }
}
