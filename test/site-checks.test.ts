import { expect } from 'chai';
import { renderChecks, summarizeChecks } from '../scripts/lib/site-checks.js';

const run = (body: string) => body.split('\n').map((l) => l.replace(/^ {4}/, '')).join('\n');

describe('site checks (verify.yml output)', () => {
  it('names each check from its play or task and marks it passed', () => {
    const results = summarizeChecks(run(`
    PLAY [Check health: every managed unit is active] ******************************
    TASK [service_health : Check that every managed unit is active, answers its health URL and did not restart meanwhile] ***
    ok: [vmstorage-1]
    PLAY [Check the write and read paths through their DNS names] ******************
    TASK [Choose the probe run] ****************************************************
    ok: [vmagent-1]
    TASK [Check probe: write 30 samples through the write DNS name] ****************
    ok: [vmagent-1]
    TASK [Check refusals: the load balancers refuse] *******************************
    skipping: [vmagent-1]
    `));
    expect(results).to.deep.equal([
      { name: 'health', state: 'passed' },
      { name: 'probe', state: 'passed' },
      { name: 'refusals', state: 'skipped' },
    ]);
  });

  it('fails the check a fatal line belongs to, keeping the first failure', () => {
    const results = summarizeChecks(run(`
    PLAY [Check health: every managed unit is active] ******************************
    TASK [service_health : Check that every managed unit is active, answers its health URL and did not restart meanwhile] ***
    ok: [vminsert-1]
    fatal: [vmstorage-1]: FAILED! => changed=false
    fatal: [vmstorage-2]: FAILED! => changed=false
    `));
    expect(results).to.have.length(1);
    expect(results[0]).to.include({ name: 'health', state: 'failed' });
    expect(results[0]!.detail).to.match(/^fatal: \[vmstorage-1\]: FAILED/);
    expect(renderChecks(results, true)).to.match(/verify: FAILED check\(s\): health$/);
  });

  it('does not call a failed run passed when no named check failed', () => {
    expect(renderChecks([{ name: 'health', state: 'passed' }], true)).to.contain('outside a named check');
    expect(renderChecks([{ name: 'health', state: 'passed' }], false)).to.match(/all 1 checks passed$/);
  });
});
