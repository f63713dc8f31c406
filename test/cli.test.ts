import { expect } from 'chai';
import { EXIT_USAGE, parseCli } from '../scripts/lib/cli.js';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
const exit = (code: number): never => {
  throw new Exit(code);
};
const options = { inventory: { type: 'string', short: 'i' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

function capture(fn: () => void): { out: string; err: string; code: number | undefined } {
  const [log, error] = [console.log, console.error];
  let out = '';
  let err = '';
  console.log = (s: string) => void (out += `${s}\n`);
  console.error = (s: string) => void (err += `${s}\n`);
  try {
    fn();
    return { out, err, code: undefined };
  } catch (e) {
    if (e instanceof Exit) return { out, err, code: e.code };
    throw e;
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('parseCli', () => {
  it('returns the values of a good command line', () => {
    const { values } = parseCli('x', 'usage: x', { args: ['-i', 'inv', '--check'], options }, exit);
    expect(values).to.deep.equal({ inventory: 'inv', check: true });
  });

  it('prints the usage on stdout and exits 0 on --help and -h', () => {
    for (const flag of ['--help', '-h']) {
      const r = capture(() => parseCli('x', 'usage: x', { args: [flag], options }, exit));
      expect(r).to.deep.equal({ out: 'usage: x\n', err: '', code: 0 });
    }
  });

  it('names the command and the problem on stderr and exits 2 on an unknown flag or a missing value', () => {
    for (const args of [['--nope'], ['-i']]) {
      const r = capture(() => parseCli('x', 'usage: x', { args, options }, exit));
      expect(r.code).to.equal(EXIT_USAGE);
      expect(r.out).to.equal('');
      expect(r.err).to.match(/^x: .*'(--nope|-i, --inventory <value>)'.*\nusage: x\n$/);
    }
  });
});
