import { expect } from 'chai';
import { parseMochaCounts, renderSummary, singleStep, totals } from '../scripts/lib/test-summary.js';

describe('test summary', () => {
  it('reads mocha footer counts', () => {
    expect(parseMochaCounts('\n  41 passing (2s)\n  2 pending\n  1 failing\n')).to.deep.equal({
      passing: 41,
      failing: 1,
      pending: 2,
    });
  });

  it('returns undefined when mocha printed no footer', () => {
    expect(parseMochaCounts('Error: cannot find module')).to.equal(undefined);
  });

  it('sums steps and ends with the closing line CI reads', () => {
    const steps = [
      { name: 'unit', passed: 40, failed: 1, skipped: 0, seconds: 3 },
      singleStep('lint', 'passed', 10),
      singleStep('molecule test -s failover', 'skipped', 0, 'blocked'),
    ];
    expect(totals(steps)).to.deep.equal({ passed: 41, failed: 1, skipped: 1 });
    const lines = renderSummary(steps).split('\n');
    expect(lines.at(-1)).to.equal('41 passed, 1 failed');
    expect(lines.join('\n')).to.contain('(blocked)');
  });
});
