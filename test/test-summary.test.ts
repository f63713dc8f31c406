import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { failureReasons, mochaFailures, parseMochaCounts, renderSummary, singleStep, totals } from '../scripts/lib/test-summary.js';

const mochaBin = fileURLToPath(new URL('../node_modules/mocha/bin/mocha.js', import.meta.url));

describe('test summary', () => {
  it('reads the counts of mocha\'s JSON reporter', () => {
    const json = JSON.stringify({
      stats: { suites: 3, tests: 44, passes: 41, pending: 2, failures: 1, duration: 2000 },
      tests: [],
      pending: [],
      failures: [{ title: 'adds', fullTitle: 'math adds', err: { message: 'expected 3 to equal 4\n+ expected - actual' } }],
      passes: [],
    });
    expect(parseMochaCounts(json)).to.deep.equal({ passing: 41, failing: 1, pending: 2 });
    expect(mochaFailures(json)).to.deep.equal(['math adds: expected 3 to equal 4']);
  });

  it('returns undefined when mocha wrote no result', () => {
    expect(parseMochaCounts('Error: cannot find module')).to.equal(undefined);
    expect(parseMochaCounts('{"stats": {}}')).to.equal(undefined);
    expect(parseMochaCounts('')).to.equal(undefined);
  });

  it('reads what mocha itself writes with --reporter json', async function () {
    this.timeout(60_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vmha-mocha-json-'));
    try {
      const spec = path.join(dir, 'sample.test.cjs');
      writeFileSync(spec, "it('passes', () => {});\nit('fails', () => { throw new Error('no'); });\nit.skip('waits', () => {});\n");
      const out = path.join(dir, 'result.json');
      spawnSync(process.execPath, [mochaBin, '--no-config', '--reporter', 'json', '--reporter-option', `output=${out}`, spec], { encoding: 'utf8' });
      const json = readFileSync(out, 'utf8');
      expect(parseMochaCounts(json)).to.deep.equal({ passing: 1, failing: 1, pending: 1 });
      expect(mochaFailures(json)).to.deep.equal(['fails: no']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

  it('keeps the columns aligned under a step name longer than the usual width', () => {
    const lines = renderSummary([singleStep('lint', 'passed', 10), singleStep('unit tests on the mirror\'s binaries (mocha)', 'passed', 13)])
      .split('\n')
      .filter((line) => line.includes(' passed, 0 failed '));
    expect(lines).to.have.length(2);
    expect(new Set(lines.map((line) => line.indexOf('1 passed')))).to.have.property('size', 1);
  });

  describe('failureReasons', () => {
    it('keeps the failure lines of a verify part and Ansible, without colours or borders, in order', () => {
      const output = [
        'PASS vmstorage health',
        '\x1b[31mFAIL vminsert health\x1b[0m',
        '  \x1b[2m\x1b[31m│\x1b[0m \x1b[0;31mfatal: [vmagent-1]: FAILED! => changed=false\x1b[0m',
        'PROBLEM vmstorage/freeze: reads failed for 7 s (at most 5 s)',
        'ok: [vmselect-1]',
        'PROBLEM vmstorage/freeze: reads failed for 7 s (at most 5 s)',
      ].join('\n');
      expect(failureReasons(output)).to.deep.equal([
        'FAIL vminsert health',
        'fatal: [vmagent-1]: FAILED! => changed=false',
        'PROBLEM vmstorage/freeze: reads failed for 7 s (at most 5 s)',
      ]);
    });

    it('keeps the last lines and cuts long ones', () => {
      const output = Array.from({ length: 20 }, (_, i) => `PROBLEM p${i} ${'x'.repeat(300)}`).join('\n');
      const reasons = failureReasons(output, 3, 20);
      expect(reasons).to.have.length(3);
      expect(reasons[0]).to.equal(`PROBLEM p17 ${'x'.repeat(8)}…`);
    });

    it('finds nothing in a passing output', () => {
      expect(failureReasons('PASS a\nok: [h]\nfailed=0')).to.deep.equal([]);
    });
  });
});
