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

  it('freshSince: a finished or running run that started at or after that moment is shared; an older one is not', async () => {
    let clock = 1_000;
    let runs = 0;
    const gates: Array<() => void> = [];
    const flight = new SingleFlight(
      async () => {
        const n = ++runs;
        await new Promise<void>((r) => gates.push(r));
        return n;
      },
      0,
      () => clock,
    );
    // Admitted at 900 and 1000: the run started at 1000 serves both, in flight and after.
    const a = flight.request(undefined, 900);
    const b = flight.request(undefined, 1_000);
    expect(runs).toBe(1);
    gates.shift()!();
    expect(await Promise.all([a, b])).toEqual([1, 1]);
    clock = 5_000;
    expect(await flight.request(undefined, 1_000)).toBe(1);
    expect(runs).toBe(1);
    // Admitted after that run started: a new run, which later requests of the same age share.
    const c = flight.request(undefined, 1_001);
    expect(runs).toBe(2);
    const d = flight.request(undefined, 4_000);
    gates.shift()!();
    expect(await Promise.all([c, d])).toEqual([2, 2]);
  });

  it('freshSince: a failed run is not remembered', async () => {
    let runs = 0;
    const flight = new SingleFlight(
      async () => {
        runs++;
        if (runs === 1) throw new Error('remote down');
        return runs;
      },
      0,
      () => 10,
    );
    await expect(flight.request(undefined, 10)).rejects.toThrow('remote down');
    expect(await flight.request(undefined, 10)).toBe(2);
  });
});
