import { expect } from 'chai';
import { Progress, formatElapsed, formatProgressLine, type ProgressOutput } from '../scripts/lib/progress.js';

function recorder(isTTY: boolean): ProgressOutput & { text: string } {
  return { isTTY, text: '', write(chunk: string) { this.text += chunk; } };
}

describe('progress', () => {
  it('formats elapsed time in seconds, then minutes', () => {
    expect(formatElapsed(400)).to.equal('0 s');
    expect(formatElapsed(59_400)).to.equal('59 s');
    expect(formatElapsed(65_000)).to.equal('1 min 05 s');
  });

  it('names the step, its position and both times', () => {
    expect(formatProgressLine('lab', 3, 7, 'building the host image', 12_000, 65_000, 'running')).to.equal(
      'lab [3/7] still building the host image (12 s, total 1 min 05 s)',
    );
    expect(formatProgressLine('test', 2, undefined, 'mocha', undefined, 1000, 'start')).to.equal('test [2] mocha (total 1 s)');
  });

  it('writes one start and one end line per step when not on a terminal', async () => {
    let clock = 0;
    const output = recorder(false);
    const progress = new Progress({ label: 'lab', total: 2, output, now: () => clock });
    await progress.step('network', async () => { clock += 2000; });
    await progress.step('hosts', async () => { clock += 5000; return 1; });
    expect(output.text.split('\n').filter(Boolean)).to.deep.equal([
      'lab [1/2] network (total 0 s)',
      'lab [1/2] done: network (2 s, total 2 s)',
      'lab [2/2] hosts (total 2 s)',
      'lab [2/2] done: hosts (5 s, total 7 s)',
    ]);
  });

  it('reports heartbeats while a step runs, and a failure with its time, rethrowing it', async () => {
    const output = recorder(false);
    const progress = new Progress({ label: 'artifacts', output, heartbeatMs: 20 });
    let thrown: unknown;
    try {
      await progress.step('go build', () => new Promise((_, reject) => setTimeout(() => reject(new Error('proxy refused')), 75)));
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).message).to.equal('proxy refused');
    const lines = output.text.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith('artifacts [1] still go build')).length).to.be.at.least(2);
    expect(lines.at(-1)).to.match(/^artifacts \[1\] FAILED: go build \(0 s, total 0 s\)$/);
  });

  it('redraws one line on a terminal unless the step streams output of its own', async () => {
    const tty = recorder(true);
    await new Progress({ label: 'lab', output: tty }).step('quiet step', async () => undefined);
    expect(tty.text).to.contain('\r\x1b[K');
    const streaming = recorder(true);
    await new Progress({ label: 'lab', output: streaming }).step('site.yml', async () => undefined, { streams: true });
    expect(streaming.text).not.to.contain('\r');
  });
});
