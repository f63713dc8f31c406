// The access matrix table: who reaches which component port, what each credential case sends,
// how answers are classified, and that a wrong answer is reported.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import {
  classify,
  credentialsFor,
  curlScript,
  gatewaySource,
  judge,
  OPERATIONS,
  planAccessMatrix,
  renderAccessMatrixMarkdown,
  WRONG_SECRET,
  type Secrets,
} from '../scripts/lib/access-matrix.js';
import { COMPONENT_SECRET_KEYS } from '../scripts/lib/inventory/schema.js';
import { hostsInGroup, labHosts, labNetwork, labPorts } from '../scripts/lib/lab-topology.js';

const secrets = Object.fromEntries(COMPONENT_SECRET_KEYS.map((k, i) => [k, `secret-${i}-${k}`])) as Secrets;
const sources = [...labHosts, gatewaySource(labNetwork.gateway)];
const targets = [...hostsInGroup('vminsert'), ...hostsInGroup('vmselect'), ...hostsInGroup('vmstorage')];
const plan = planAccessMatrix(sources, targets, labPorts, secrets);
const find = (source: string, target: string, operation: string, credentials: string) =>
  plan.find((r) => r.source === source && r.target === target && r.operation === operation && r.credentials === credentials)!;

describe('access matrix', () => {
  it('covers every source, component host, operation and credential case', () => {
    // per source: 2 vminserts x 4 operations + 2 vmselects x 6 + 3 vmstorages x 7, each with 4 cases
    expect(plan).to.have.length(sources.length * (2 * 4 + 2 * 6 + 3 * 7) * 4);
    const ops = new Set(OPERATIONS.map((o) => o.operation));
    for (const op of ['write', 'read', 'delete', 'snapshot_create', 'snapshot_delete', 'force_merge', 'force_flush', 'cache_reset', 'pprof', 'flags', 'metrics']) {
      expect(ops.has(op as never), op).to.equal(true);
    }
  });

  it('expects the firewall to keep every tier out but the one whose job needs the port', () => {
    expect(find('vmagent-1', 'vmstorage-1', 'snapshot_create', 'none').expected).to.equal('denied');
    expect(find('vmagent-1', 'vmstorage-1', 'snapshot_create', 'right').expected).to.equal('allowed');
    expect(find('lb-insert-1', 'vminsert-1', 'write', 'right').expected).to.equal('allowed');
    expect(find('lb-insert-1', 'vmselect-1', 'read', 'right').expected).to.equal('unreachable');
    expect(find('lb-select-1', 'vmselect-2', 'delete', 'none').expected).to.equal('denied');
    expect(find('lb-select-1', 'vmstorage-1', 'metrics', 'right').expected).to.equal('unreachable');
    expect(find('grafana-1', 'vmselect-1', 'read', 'right').expected).to.equal('unreachable');
    expect(find('vmselect-1', 'vmstorage-1', 'metrics', 'right').expected).to.equal('unreachable');
    expect(find('vmstorage-2', 'vmstorage-2', 'force_merge', 'right').expected).to.equal('allowed');
    expect(plan.filter((r) => r.source === 'gateway').every((r) => r.expected === 'unreachable')).to.equal(true);
  });

  it('sends no, wrong, another tier\'s and the right secret', () => {
    const deleteGuard = OPERATIONS.find((o) => o.operation === 'delete')!.guard;
    expect(credentialsFor(deleteGuard, 'none', secrets)).to.deep.equal({});
    expect(credentialsFor(deleteGuard, 'wrong', secrets)).to.deep.equal({ authKey: WRONG_SECRET });
    expect(credentialsFor(deleteGuard, 'other', secrets)).to.deep.equal({ authKey: secrets.vmha_metrics_auth_key });
    expect(credentialsFor(deleteGuard, 'right', secrets)).to.deep.equal({ authKey: secrets.vmha_delete_auth_key });
    const metricsGuard = OPERATIONS.find((o) => o.operation === 'metrics')!.guard;
    expect(credentialsFor(metricsGuard, 'other', secrets)).to.deep.equal({ basic: `vmha:${secrets.vmha_vmselect_password}` });
    const write = find('vmagent-2', 'vminsert-1', 'write', 'right');
    expect(write.basic).to.equal(`vmha:${secrets.vmha_vminsert_password}`);
    expect(write.body).to.equal('vmha_access_probe{source="vmagent-2",target="vminsert-1",case="right"} 1\n');
  });

  it('deletes only its own probes when allowed, and would hit the sentinel when refused', () => {
    const right = find('vmagent-3', 'vmselect-1', 'delete', 'right');
    expect(decodeURIComponent(right.url)).to.include('match[]=vmha_access_probe{source=~"vmagent-3"}');
    expect(right.url).to.include(`authKey=${encodeURIComponent(secrets.vmha_delete_auth_key)}`);
    expect(decodeURIComponent(find('vmagent-3', 'vmselect-1', 'delete', 'none').url)).to.include('source=~".+"');
  });

  it('classifies answers and flags an unexpected one', () => {
    expect(classify(0)).to.equal('unreachable');
    expect(classify(204)).to.equal('allowed');
    expect(classify(401)).to.equal('denied');
    expect(classify(403)).to.equal('denied');
    expect(classify(500)).to.equal('unexpected');
    const snapshot = find('vmagent-1', 'vmstorage-1', 'snapshot_create', 'none');
    expect(judge(snapshot, 401).ok).to.equal(true);
    expect(judge(snapshot, 200).ok).to.equal(false);
    expect(judge(find('grafana-1', 'vmstorage-1', 'snapshot_create', 'none'), 401).ok).to.equal(false);
  });

  it('builds a curl script that keeps secrets off the argument list and parses in sh', () => {
    const requests = [find('vmagent-1', 'vminsert-1', 'write', 'right'), find('vmagent-1', 'vmselect-1', 'delete', 'right')].map((request, index) => ({ index, request }));
    const script = curlScript(requests, 1);
    expect(script).to.include('curl -K -');
    expect(script).to.not.match(/curl [^\n]*secret-/);
    execFileSync('sh', ['-n', '-c', script]);
  });

  it('renders a report that lists every unexpected answer', () => {
    const results = [judge(find('vmagent-1', 'vmstorage-1', 'snapshot_create', 'none'), 200), judge(find('gateway', 'vminsert-1', 'write', 'none'), 0)];
    const md = renderAccessMatrixMarkdown(results, [{ name: 'snapshots', before: '0', after: '0', ok: true }], [], [], { date: 'today', seconds: 1 });
    expect(md).to.include('1 as expected, 1 not');
    expect(md).to.include('| vmagent-1 | vmstorage-1:8482 | snapshot_create | none | denied | allowed (200) |');
  });
});
