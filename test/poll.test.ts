import { expect } from 'chai';
import { pollUntil } from '../scripts/lib/poll.js';

describe('pollUntil', () => {
  it('reads until the value is wanted and returns it', async () => {
    let n = 0;
    const polled = await pollUntil(async () => ++n, (v) => v === 3, { everyMs: 1, attempts: 10 });
    expect(polled.value).to.equal(3);
    expect(polled.ok).to.equal(true);
    expect(n).to.equal(3);
  });

  it('stops after the attempts and returns the last value, not wanted', async () => {
    let n = 0;
    const started = Date.now();
    const polled = await pollUntil(async () => ++n, () => false, { everyMs: 5, attempts: 4 });
    expect(polled).to.include({ value: 4, ok: false });
    expect(n).to.equal(4);
    expect(Date.now() - started).to.be.below(1000);
  });

  it('stops when the time is up', async () => {
    let n = 0;
    const polled = await pollUntil(async () => ++n, () => false, { everyMs: 20, seconds: 0.1 });
    expect(polled.ok).to.equal(false);
    expect(polled.seconds).to.be.at.least(0.1).and.below(0.5);
    expect(n).to.be.within(4, 8);
  });

  it('throws the error of a read at once, without reading again', async () => {
    let n = 0;
    const failing = pollUntil(async () => {
      n++;
      throw new Error('boom');
    }, () => true, { everyMs: 1, attempts: 5 });
    let caught: unknown;
    await failing.catch((err) => (caught = err));
    expect((caught as Error).message).to.equal('boom');
    expect(n).to.equal(1);
  });
});
