// npm run lab -- <up|down|status [--json]|deploy>   (no subcommand = deploy)
//
// The lab: one Docker container per inventory host (systemd as PID 1), on the fixed network
// of scripts/lib/lab-topology.ts, plus the artifact mirror on 127.0.0.1.
//   up      build the base image if its recipe changed, create the network and the host
//           containers (running ones are kept), wait for systemd in each, write the inventory
//           to .lab/inventory/ and start the mirror server
//   down    remove the lab's containers, its network and the mirror server it started
//   inventory  only (re)write .lab/inventory/ (Molecule links it before any host exists)
//   status  table of hosts (--json: machine-readable, see statusReport())
//   deploy  up, fill the artifact mirror, validate + generate the inventory, run site.yml, then
//           the smoke check (--edge: only the tiers that do not need the cluster tarball)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { $, ProcessOutput, sleep } from 'zx';
import { VM_CLUSTER_ROLE_TAGS } from './lib/artifacts.js';
import { fillMirror } from './fill-mirror.js';
import { formatFinding } from './lib/inventory/index.js';
import { generateVars } from './lib/inventory/read.js';
import {
  labClusterVars,
  labInventoryFiles,
  newLabSecrets,
  parsePartialLabSecrets,
  renderLabClusterVarsYaml,
  renderLabHostsYaml,
  renderLabSecretsYaml,
} from './lib/lab-inventory.js';
import {
  hostsInGroup,
  type LabHost,
  labHosts,
  labPorts,
  labClusterSettings,
  labTlsFiles,
  labTlsSubjectAltNames,
  labScheme,
  labImageTag,
  labLabel,
  labMirrorPort,
  labMirrorUrl,
  labNetwork,
  labReadUrl,
  labWriteUrl,
} from './lib/lab-topology.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const labDir = path.join(repoRoot, '.lab');
const inventoryDir = path.join(labDir, 'inventory');
const tlsDir = path.join(labDir, 'tls');
const mirrorDir = path.join(repoRoot, '.cache', 'mirror');
const mirrorPidFile = path.join(labDir, 'mirror.pid');
const imageRecipeDir = path.join(repoRoot, 'scripts', 'lab-image');
const systemdWaitSeconds = 120;

$.quiet = true;
$.verbose = false;

const log = (msg: string) => console.error(`lab: ${msg}`);

class LabError extends Error {}

/** Runs docker; on failure throws with the command and docker's own message. */
async function docker(...args: string[]): Promise<string> {
  try {
    return (await $`docker ${args}`).stdout.trim();
  } catch (err) {
    const detail = err instanceof ProcessOutput ? err.stderr.trim() || err.stdout.trim() : String(err);
    throw new LabError(`docker ${args.slice(0, 3).join(' ')} ... failed: ${detail}`);
  }
}

async function dockerOk(...args: string[]): Promise<boolean> {
  return (await $({ nothrow: true })`docker ${args}`).exitCode === 0;
}

function elapsed(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------- image

async function imageTag(): Promise<string> {
  const names = (await fsp.readdir(imageRecipeDir)).filter((n) => !n.startsWith('.'));
  const recipe = await Promise.all(
    names.map(async (name) => ({ name, content: await fsp.readFile(path.join(imageRecipeDir, name), 'utf8') })),
  );
  return labImageTag(recipe);
}

async function ensureImage(): Promise<string> {
  const tag = await imageTag();
  if (await dockerOk('image', 'inspect', tag)) return tag;
  const start = Date.now();
  log(`building base image ${tag} (debootstrap, about a minute)`);
  const build = await $({ nothrow: true })`bash ${path.join(imageRecipeDir, 'build.sh')} ${tag}`;
  if (build.exitCode !== 0) {
    throw new LabError(`building the base image failed:\n${build.stderr.trim() || build.stdout.trim()}`);
  }
  log(`built ${tag} in ${elapsed(start)}`);
  return tag;
}

// ---------------------------------------------------------------- network

async function ensureNetwork(): Promise<void> {
  const { name, subnet, gateway } = labNetwork;
  if (await dockerOk('network', 'inspect', name)) {
    const info = JSON.parse(await docker('network', 'inspect', name))[0];
    const actual = info?.IPAM?.Config?.[0]?.Subnet;
    if (actual !== subnet) {
      throw new LabError(`Docker network ${name} exists with subnet ${actual}, the lab needs ${subnet}: remove it (docker network rm ${name})`);
    }
    return;
  }
  log(`creating network ${name} ${subnet}`);
  await docker('network', 'create', '--driver', 'bridge', '--subnet', subnet, '--gateway', gateway, '--label', `${labLabel}=1`, name);
}

// ---------------------------------------------------------------- hosts

interface ContainerState {
  exists: boolean;
  running: boolean;
  labelled: boolean;
  image: string;
}

async function containerState(name: string): Promise<ContainerState> {
  const out = await $({ nothrow: true })`docker container inspect ${name}`;
  if (out.exitCode !== 0) return { exists: false, running: false, labelled: false, image: '' };
  const info = JSON.parse(out.stdout)[0];
  return {
    exists: true,
    running: info?.State?.Running === true,
    labelled: info?.Config?.Labels?.[labLabel] === '1',
    image: info?.Config?.Image ?? '',
  };
}

/** The flags that boot systemd as PID 1 here (DEVELOPERS.md "Lab facts"); --privileged fails. */
function runArgs(host: LabHost, image: string): string[] {
  return [
    'run', '--detach',
    '--name', host.name,
    '--hostname', host.name,
    '--label', `${labLabel}=1`,
    '--network', labNetwork.name,
    '--ip', host.address,
    '--cap-add', 'SYS_ADMIN',
    '--cap-add', 'NET_ADMIN',
    '--security-opt', 'seccomp=unconfined',
    '--cgroupns=host',
    '--volume', '/sys/fs/cgroup:/sys/fs/cgroup:rw',
    '--tmpfs', '/run',
    '--tmpfs', '/run/lock',
    // systemd shuts down cleanly on SIGRTMIN+3 (docker import cannot set STOPSIGNAL).
    '--stop-signal', 'SIGRTMIN+3',
    image,
    '/sbin/init',
  ];
}

async function ensureHost(host: LabHost, image: string): Promise<void> {
  const state = await containerState(host.name);
  if (state.exists && !state.labelled) {
    throw new LabError(`a container named ${host.name} exists but is not part of the lab (no ${labLabel} label): rename or remove it`);
  }
  if (state.running) {
    if (state.image !== image) log(`${host.name}: kept, runs the older image ${state.image} (lab down + up to rebuild)`);
    return;
  }
  if (state.exists) {
    log(`${host.name}: starting`);
    await docker('start', host.name);
    return;
  }
  log(`${host.name}: creating ${host.address}`);
  await docker(...runArgs(host, image));
}

/** systemd's own verdict (running, degraded, starting, ...); empty while PID 1 is not reachable yet. */
async function systemdState(name: string, waitSeconds = 0): Promise<string> {
  const cmd = waitSeconds > 0
    ? ['timeout', String(waitSeconds), 'systemctl', 'is-system-running', '--wait']
    : ['systemctl', 'is-system-running'];
  const out = await $({ nothrow: true })`docker exec ${name} ${cmd}`;
  return out.stdout.trim();
}

/** Waits (bounded) until systemd finished booting; right after `docker run` the bus may not answer yet. */
async function bootedState(name: string): Promise<string> {
  const deadline = Date.now() + systemdWaitSeconds * 1000;
  let state = '';
  while (Date.now() < deadline) {
    state = await systemdState(name, Math.max(1, Math.ceil((deadline - Date.now()) / 1000)));
    if (state === 'running' || state === 'degraded') return state;
    await sleep(500);
  }
  return state || 'unreachable';
}

async function waitForSystemd(hosts: readonly LabHost[]): Promise<void> {
  const states = await Promise.all(hosts.map(async (h) => [h.name, await bootedState(h.name)] as const));
  const bad = states.filter(([, s]) => s !== 'running' && s !== 'degraded');
  if (bad.length > 0) {
    const hint = bad.map(([n, s]) => `${n}: ${s}`).join(', ');
    throw new LabError(`systemd did not finish booting within ${systemdWaitSeconds} s on ${hint} (look with: docker exec <host> systemctl --failed)`);
  }
  const degraded = states.filter(([, s]) => s === 'degraded').map(([n]) => n);
  if (degraded.length > 0) log(`degraded (a unit failed, see systemctl --failed): ${degraded.join(', ')}`);
}

// ---------------------------------------------------------------- inventory

/**
 * The lab's own CA and a certificate for every load balancer (both DNS names and addresses),
 * made once with openssl and kept, like an operator's PKI. Private keys are 0600.
 */
async function ensureTls(): Promise<void> {
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

async function writeInventory(): Promise<void> {
  const file = (rel: string) => path.join(inventoryDir, rel);
  if (labClusterSettings.tls_enabled) await ensureTls();
  await fsp.mkdir(path.dirname(file(labInventoryFiles.settings)), { recursive: true });
  await fsp.writeFile(file(labInventoryFiles.hosts), renderLabHostsYaml());
  await fsp.writeFile(file(labInventoryFiles.settings), renderLabClusterVarsYaml(tlsDir));
  const secretsFile = file(labInventoryFiles.secrets);
  const existing = existsSync(secretsFile)
    ? parsePartialLabSecrets(await fsp.readFile(secretsFile, 'utf8'), secretsFile)
    : {};
  const complete = newLabSecrets((n) => randomBytes(n), existing);
  if (Object.keys(existing).length < Object.keys(complete).length) {
    // Secrets already there are kept (clients of the running lab keep working); missing ones are added.
    log(`generating lab credentials in ${path.relative(repoRoot, secretsFile)}`);
    await fsp.writeFile(secretsFile, renderLabSecretsYaml(complete), { mode: 0o600 });
  }
  await fsp.chmod(secretsFile, 0o600);
  // The derived role vars (zz-generated.yml): site.yml refuses an inventory whose file is stale.
  const generated = generateVars(inventoryDir);
  if (!generated.report.ok || generated.text === undefined) {
    throw new LabError(`the lab inventory fails validation:\n${generated.report.errors.map(formatFinding).join('\n')}`);
  }
  await fsp.mkdir(path.dirname(generated.generatedPath), { recursive: true });
  await fsp.writeFile(generated.generatedPath, generated.text);
}

// ---------------------------------------------------------------- mirror

async function mirrorAnswers(): Promise<boolean> {
  try {
    const res = await fetch(`${labMirrorUrl}/`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

async function ensureMirror(): Promise<void> {
  if (await mirrorAnswers()) return;
  await fsp.mkdir(mirrorDir, { recursive: true });
  await fsp.mkdir(labDir, { recursive: true });
  const logFd = openSync(path.join(labDir, 'mirror.log'), 'a');
  const child = spawn(
    'python3',
    ['-m', 'http.server', String(labMirrorPort), '--bind', '127.0.0.1', '--directory', mirrorDir],
    { detached: true, stdio: ['ignore', logFd, logFd] },
  );
  child.unref();
  await fsp.writeFile(mirrorPidFile, `${child.pid}\n`);
  for (let i = 0; i < 50; i++) {
    if (await mirrorAnswers()) {
      log(`mirror ${labMirrorUrl} serving ${path.relative(repoRoot, mirrorDir)}/ (pid ${child.pid})`);
      return;
    }
    await sleep(100);
  }
  throw new LabError(`the mirror server did not answer on ${labMirrorUrl} within 5 s (see .lab/mirror.log)`);
}

/** Stops the mirror only when the pid file points at our http.server. */
async function stopMirror(): Promise<void> {
  if (!existsSync(mirrorPidFile)) return;
  const pid = Number((await fsp.readFile(mirrorPidFile, 'utf8')).trim());
  const cmdline = await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (Number.isInteger(pid) && cmdline.includes('http.server') && cmdline.includes(String(labMirrorPort))) {
    process.kill(pid, 'SIGTERM');
    log(`stopped mirror server (pid ${pid})`);
  }
  await fsp.rm(mirrorPidFile, { force: true });
}

// ---------------------------------------------------------------- subcommands

async function up(): Promise<void> {
  const start = Date.now();
  const image = await ensureImage();
  await ensureNetwork();
  await Promise.all(labHosts.map((h) => ensureHost(h, image)));
  await waitForSystemd(labHosts);
  await writeInventory();
  await ensureMirror();
  log(`up: ${labHosts.length} hosts ready in ${elapsed(start)}; inventory ${path.relative(repoRoot, inventoryDir)}/`);
}

/**
 * Docker can keep endpoints of just-removed containers on the network for a moment ("has active
 * endpoints"), and a lab left behind by an interrupted run can hold stale ones: retry (bounded),
 * force-disconnecting what is left of the lab's own hosts, and say what blocks it in the end.
 */
async function removeLabNetwork(): Promise<void> {
  const attempts = 20;
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const removed = await $({ nothrow: true })`docker network rm ${labNetwork.name}`;
    if (removed.exitCode === 0) return;
    last = removed.stderr.trim();
    const inspected = await $({ nothrow: true })`docker network inspect ${labNetwork.name}`;
    if (inspected.exitCode !== 0) return; // gone meanwhile
    const endpoints = Object.values((JSON.parse(inspected.stdout)[0]?.Containers ?? {}) as Record<string, { Name?: string }>);
    for (const endpoint of endpoints) {
      if (endpoint.Name && labHosts.some((h) => h.name === endpoint.Name)) {
        await dockerOk('network', 'disconnect', '--force', labNetwork.name, endpoint.Name);
      }
    }
    await sleep(500);
  }
  // Seen once after interrupted runs: endpoints no container owns any more, which only a restart of
  // the Docker engine clears (it drops stale endpoints when it starts).
  throw new LabError(`docker network rm ${labNetwork.name} failed ${attempts} times: ${last} (stale endpoints: restart the Docker engine, then run npm run lab -- down again)`);
}

async function down(): Promise<void> {
  const ids = (await docker('ps', '--all', '--quiet', '--filter', `label=${labLabel}=1`)).split('\n').filter(Boolean);
  if (ids.length > 0) {
    log(`removing ${ids.length} containers`);
    await docker('rm', '--force', '--volumes', ...ids);
  }
  if (await dockerOk('network', 'inspect', labNetwork.name)) {
    const labels = JSON.parse(await docker('network', 'inspect', labNetwork.name))[0]?.Labels ?? {};
    if (labels[labLabel] === '1') {
      await removeLabNetwork();
      log(`removed network ${labNetwork.name}`);
    } else {
      log(`network ${labNetwork.name} is not labelled ${labLabel}=1: left alone`);
    }
  }
  await stopMirror();
}

interface HostStatus {
  name: string;
  address: string;
  groups: string[];
  state: string;
  systemd: string;
}

async function statusReport() {
  const hosts: HostStatus[] = await Promise.all(
    labHosts.map(async (h) => {
      const c = await containerState(h.name);
      const state = !c.exists ? 'absent' : !c.labelled ? 'foreign' : c.running ? 'running' : 'stopped';
      const systemd = state === 'running' ? (await systemdState(h.name)) || 'unreachable' : '-';
      return { name: h.name, address: h.address, groups: [...h.groups], state, systemd };
    }),
  );
  const networkUp = await dockerOk('network', 'inspect', labNetwork.name);
  return {
    network: networkUp ? labNetwork.name : null,
    subnet: labNetwork.subnet,
    hosts,
    inventory: existsSync(path.join(inventoryDir, labInventoryFiles.hosts)) ? inventoryDir : null,
    mirror_url: labMirrorUrl,
    mirror_up: await mirrorAnswers(),
    write_url: labWriteUrl(),
    read_url: labReadUrl(),
    // The CA that signed the load balancers' certificate, for clients of the https URLs.
    ca_file: labClusterSettings.tls_enabled ? path.join(tlsDir, labTlsFiles.caCert) : null,
    write_username: labClusterVars(tlsDir).vmha_write_username,
    read_username: labClusterVars(tlsDir).vmha_read_username,
    credentials_file: path.join(inventoryDir, labInventoryFiles.secrets),
  };
}

async function status(json: boolean): Promise<void> {
  const report = await statusReport();
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const rows = [['HOST', 'ADDRESS', 'STATE', 'SYSTEMD', 'GROUPS'], ...report.hosts.map((h) => [h.name, h.address, h.state, h.systemd, h.groups.join(',')])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  console.log(`\nnetwork   ${report.network ?? `(absent) ${labNetwork.name}`} ${report.subnet}`);
  console.log(`inventory ${report.inventory ?? '(not written yet: npm run lab -- up)'}`);
  console.log(`mirror    ${report.mirror_url} ${report.mirror_up ? 'up' : 'down'}`);
  console.log(`write     ${report.write_url}`);
  console.log(`read      ${report.read_url}`);
  if (report.ca_file) console.log(`CA        ${report.ca_file}`);
  console.log(`users     write ${report.write_username}, read ${report.read_username} (passwords in ${path.relative(repoRoot, report.credentials_file)})`);
}

// ---------------------------------------------------------------- deploy

/** Fills the artifact mirror; returns why the cluster tarball is missing, if it is. */
async function ensureArtifacts(): Promise<string | undefined> {
  const mirror = await fillMirror();
  if (!mirror.usable) {
    throw new LabError(`npm run artifacts failed (exit ${mirror.exitCode}):\n${mirror.stderr.slice(-2000)}`);
  }
  const cluster = mirror.missingCluster;
  return cluster ? `${path.basename(cluster.file)}: ${cluster.reason}` : undefined;
}

async function deploy(edgeOnly: boolean): Promise<void> {
  const start = Date.now();
  await up();
  const missingCluster = await ensureArtifacts();
  if (missingCluster !== undefined && !edgeOnly) {
    throw new LabError(
      `the VictoriaMetrics cluster tarball is not in the mirror, so vmstorage, vminsert and vmselect cannot be deployed:\n  ${missingCluster}\n` +
        `Put the official release tarball and its _checksums.txt into ~/.cache/vmha/artifacts/victoriametrics/v<version>/ and run again,\n` +
        `or deploy the tiers that have binaries: npm run lab -- deploy --edge`,
    );
  }
  const venvBin = path.join(repoRoot, '.venv', 'bin');
  const limit = edgeOnly ? ['--skip-tags', VM_CLUSTER_ROLE_TAGS] : [];
  log(`ansible-playbook site.yml ${limit.join(' ')}`);
  const playbook = await $({
    nothrow: true,
    cwd: path.join(repoRoot, 'ansible'),
    env: { ...process.env, PATH: `${venvBin}:${process.env.PATH ?? ''}` },
    stdio: ['inherit', 'inherit', 'inherit'],
  })`${venvBin}/ansible-playbook -i ${inventoryDir} site.yml ${limit}`;
  if (playbook.exitCode !== 0) throw new LabError(`ansible-playbook site.yml failed (exit ${playbook.exitCode}); see its output above`);
  const check = edgeOnly ? 'scripts/verify/edge.ts' : 'scripts/verify/data-path.ts';
  log(`checking the deployed stack with ${check}`);
  const verify = await $({ nothrow: true, cwd: repoRoot, stdio: ['inherit', 'inherit', 'inherit'] })`node --import ./scripts/register-ts.mjs ${check}`;
  if (verify.exitCode !== 0) throw new LabError(`${check} found problems; see above`);
  log(`deployed in ${elapsed(start)}`);
  const [lb] = hostsInGroup('lb_select');
  console.log(
    edgeOnly
      ? 'Edge tiers deployed and verified. The cluster tiers need the cluster tarball (see README, "Status").'
      : `Stack deployed. Graphs: vmui at ${labScheme}://${lb?.address}:${labPorts.lb_select}/select/0/vmui/ (user ${labClusterVars(tlsDir).vmha_read_username}, password in .lab/inventory/group_vars/all/secrets.yml, CA .lab/tls/ca.crt); npm run lab -- status --json prints write_url and read_url.`,
  );
}

const usage = `usage: npm run lab -- <up | down | inventory | status [--json] | deploy [--edge]>   (no subcommand = deploy)`;

async function main(argv: string[]): Promise<number> {
  const [command = 'deploy', ...rest] = argv;
  const flags = new Set(rest);
  const allowed: Record<string, string[]> = { up: [], down: [], inventory: [], deploy: ['--edge'], status: ['--json'] };
  if (command === '-h' || command === '--help' || command === 'help') {
    console.log(usage);
    return 0;
  }
  const known = allowed[command];
  if (!known) {
    console.error(`lab: unknown subcommand '${command}'\n${usage}`);
    return 2;
  }
  const unknown = [...flags].filter((f) => !known.includes(f));
  if (unknown.length > 0) {
    console.error(`lab ${command}: unknown argument ${unknown.join(' ')}\n${usage}`);
    return 2;
  }
  if (command === 'inventory') {
    await writeInventory();
    return 0;
  }
  if (!(await dockerOk('info'))) {
    console.error('lab: the Docker engine does not answer (docker info failed): run bash scripts/ensure-toolchain.sh');
    return 1;
  }
  if (command === 'up') await up();
  else if (command === 'down') await down();
  else if (command === 'status') await status(flags.has('--json'));
  else await deploy(flags.has('--edge'));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`lab: ERROR: ${err instanceof LabError ? err.message : (err as Error).stack ?? err}`);
    process.exit(1);
  },
);

