// vmui in a real browser: Debian's headless chromium (driven by playwright-core; nothing downloads
// a browser) opens vmui through the read load balancer with TLS from the lab CA (put into a
// throw-away NSS database, nothing ignores certificate errors) and the read credentials, runs a
// graph query for a probe series this check wrote through the write load balancer, and passes when
// a graph with data points is drawn and no request failed (console and network). Screenshot:
// reports/vmui.png.
//   --vmselect-stopped  stops vmselect on every vmselect host first (and starts it again after):
//                       the check must FAIL then; exits 0 only when it did.
// Changes the lab (writes a probe series; with --vmselect-stopped stops services): run under the
// lab lock. Needs `bash scripts/ensure-toolchain.sh --browser`.
import { $, fs, os, path, sleep } from 'zx';
import { chromium } from 'playwright-core';
import { parseCli } from '../lib/cli.js';
import { hostsInGroup, labClusterSettings, labPorts } from '../lib/lab-topology.js';
import { judgeVmui, queryRangePoints, vmuiUrl, type BrowserEvents } from '../lib/vmui-check.js';
import { http, onHost } from './lab-client.js';
import { labCa, labCaFile, labCredentials } from './lab-credentials.js';

$.verbose = false;
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const USAGE = 'usage: node --import ./scripts/register-ts.mjs scripts/verify/vmui.ts [--vmselect-stopped]';
const { values } = parseCli('vmui', USAGE, {
  options: { 'vmselect-stopped': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
});
const stopVmselect = values['vmselect-stopped'];

const { write, read } = await labCredentials();
const ca = await labCa();
const [lbInsert] = hostsInGroup('lb_insert');
const [lbSelect] = hostsInGroup('lb_select');
if (!lbInsert || !lbSelect) throw new Error('lab topology has no load balancers');
const readName = labClusterSettings.read_dns_name;
const writeBase = `https://${lbInsert.address}:${labPorts.lb_insert}/insert/0/prometheus`;
const readBase = `https://${readName}:${labPorts.lb_select}`;

// 1. A probe series of our own: 40 samples one scrape interval apart, ending now.
const stepMs = Number.parseInt(labClusterSettings.scrape_interval, 10) * 1000;
const run = Date.now().toString(36);
const samples = 40;
const firstMs = Math.floor(Date.now() / stepMs) * stepMs - (samples - 1) * stepMs;
const metric = 'vmha_probe_vmui';
const body = Array.from({ length: samples }, (_, i) => `${metric}{run="${run}"} ${i % 7} ${firstMs + i * stepMs}`).join('\n');
const wrote = await http(`${writeBase}/api/v1/import/prometheus`, { method: 'POST', body: `${body}\n`, credentials: write, ca, timeoutMs: 10_000 });
if (wrote.status !== 204) throw new Error(`probe write through ${lbInsert.name}: ${wrote.status} ${wrote.body.slice(0, 200)}`);
const exportUrl = `https://${lbSelect.address}:${labPorts.lb_select}/select/0/prometheus/api/v1/export?match[]=${encodeURIComponent(`${metric}{run="${run}"}`)}&nocache=1`;
let stored = 0;
for (let i = 0; i < 30 && stored < samples; i++) {
  await sleep(1000);
  const back = await http(exportUrl, { credentials: read, ca, timeoutMs: 10_000 });
  stored = back.status === 200 ? back.body.split('\n').filter(Boolean).reduce((n, line) => n + (JSON.parse(line) as { values: unknown[] }).values.length, 0) : 0;
}
console.log(`probe ${metric}{run="${run}"}: ${stored} of ${samples} samples stored`);

// 2. A browser profile that trusts the lab CA (NSS database of a throw-away HOME).
const home = await fs.mkdtemp(path.join(os.tmpdir(), 'vmha-vmui-'));
const nssdb = `sql:${path.join(home, '.pki', 'nssdb')}`;
await fs.ensureDir(path.join(home, '.pki', 'nssdb'));
await $`certutil -d ${nssdb} -N --empty-password`;
await $`certutil -d ${nssdb} -A -t ${'C,,'} -n vmha-lab-ca -i ${labCaFile}`;

const vmselects = hostsInGroup('vmselect');
async function setVmselect(action: 'stop' | 'start'): Promise<void> {
  for (const host of vmselects) {
    const done = await onHost(host.name, `systemctl ${action} vmselect`);
    if (done.exitCode !== 0) throw new Error(`${host.name}: systemctl ${action} vmselect: ${done.stderr}`);
  }
  if (action === 'start') {
    for (const host of vmselects) {
      for (let i = 0; i < 60; i++) {
        const health = await onHost(host.name, `curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:${labPorts.vmselect_http}/health`);
        if (health.stdout.trim() === '200') break;
        await sleep(500);
      }
    }
  }
}

const events: BrowserEvents = { consoleErrors: [], failedRequests: [], errorResponses: [], queryRangeBodies: [], paintedPixels: 0 };
const url = vmuiUrl(readBase, `${metric}{run="${run}"}`, Math.ceil((samples * stepMs) / 60_000) + 5);
const screenshot = path.join(repoRoot, 'reports', stopVmselect ? 'vmui-vmselect-stopped.png' : 'vmui.png');
if (stopVmselect) await setVmselect('stop');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  env: { ...process.env, HOME: home },
  // the DNS name is in the lab hosts' hosts files, not this machine's: map it like they do
  args: [`--host-resolver-rules=MAP ${readName} ${lbSelect.address}`, '--no-sandbox', '--disable-gpu'],
  timeout: 60_000,
});
try {
  const context = await browser.newContext({
    httpCredentials: { username: read.username, password: read.password, send: 'always' },
    viewport: { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') events.consoleErrors.push(message.text().slice(0, 300));
  });
  page.on('requestfailed', (request) => events.failedRequests.push(`${request.url().slice(0, 200)} ${request.failure()?.errorText ?? ''}`));
  page.on('response', async (response) => {
    if (response.status() >= 400) events.errorResponses.push(`${response.status()} ${response.url().slice(0, 200)}`);
    if (response.url().includes('/api/v1/query_range')) {
      events.queryRangeBodies.push(await response.text().catch((error: Error) => `unreadable: ${error.message}`));
    }
  });
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 }).catch((error: Error) => events.failedRequests.push(`page load: ${error.message.split('\n')[0]}`));
  // wait (bounded) for vmui's query and for the chart to paint coloured (series) pixels
  for (let i = 0; i < 40; i++) {
    if (events.queryRangeBodies.some((b) => queryRangePoints(b) > 0)) {
      events.paintedPixels = await page
        .evaluate(() => {
          let coloured = 0;
          for (const canvas of Array.from(document.querySelectorAll('canvas'))) {
            const context = canvas.getContext('2d');
            if (!context || canvas.width === 0 || canvas.height === 0) continue;
            const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
            for (let p = 0; p < data.length; p += 4) {
              const [r, g, b, a] = [data[p]!, data[p + 1]!, data[p + 2]!, data[p + 3]!];
              // axes, grid and text are grey; a series line is coloured
              if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
            }
          }
          return coloured;
        })
        .catch(() => 0);
      if (events.paintedPixels > 0) break;
    }
    await sleep(500);
  }
  await page.screenshot({ path: screenshot, fullPage: false });
} finally {
  await browser.close();
  if (stopVmselect) await setVmselect('start');
  await fs.remove(home);
}

const verdict = judgeVmui(events, samples / 2);
console.log(`vmui ${url}\n  points drawn: ${verdict.points}, coloured chart pixels: ${events.paintedPixels}, screenshot ${path.relative(repoRoot, screenshot)}`);
for (const problem of verdict.problems) console.log(`  ${problem}`);
if (stopVmselect) {
  console.log(verdict.ok ? 'FAIL vmui check passed with every vmselect stopped' : 'PASS vmui check failed with every vmselect stopped, as it must');
  process.exitCode = verdict.ok ? 1 : 0;
} else {
  console.log(verdict.ok ? 'PASS vmui draws the probe series through the read load balancer' : 'FAIL vmui check');
  process.exitCode = verdict.ok ? 0 : 1;
}
