import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../../src/workspace/single-flight.js';

describe('SingleFlight', () => {
  it('keeps one run in flight and one pending; requests during a run share the next one', async () => {
    const gates: Array<() => void> = [];
    let runs = 0;
    const flight = new SingleFlight(async () => {
      const n = ++runs;
      await new Promise<void>((r) => gates.push(r));
      return n;
    });
    const first = flight.request();
    const during = [flight.request(), flight.request(), flight.request()];
    expect(runs).toBe(1);
    gates.shift()!();
    expect(await first).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(runs).toBe(2);
    gates.shift()!();
    expect(await Promise.all(during)).toEqual([2, 2, 2]);
  });

  it('a request ticketed before a run started joins it', async () => {
    let runs = 0;
    let open!: () => void;
    const flight = new SingleFlight(async () => {
      runs++;
      await new Promise<void>((r) => {
        open = r;
      });
      return runs;
    });
    const ticket = flight.ticket();
    const running = flight.request();
    const late = flight.request(ticket);
    open();
    expect(await Promise.all([running, late])).toEqual([1, 1]);
    expect(runs).toBe(1);
  });
});
