import { describe, expect, it } from 'vitest';
import { nextSlaDue, pastSla, slaSteps } from '../../../src/queue/index.js';

const MIN = 60_000;

describe('SLA steps', () => {
  const sla = { low: 10, medium: 5, high: 2 };

  it('raises one step per SLA period, each counted from reaching the level', () => {
    expect(slaSteps('low', 10 * MIN, sla)).toEqual([]);
    expect(slaSteps('low', 10 * MIN + 1, sla)).toEqual([{ from: 'low', to: 'medium', dueAtMs: 10 * MIN }]);
    expect(slaSteps('low', 15 * MIN + 1, sla).map((s) => s.to)).toEqual(['medium', 'high']);
    expect(slaSteps('low', 17 * MIN + 1, sla).map((s) => s.to)).toEqual(['medium', 'high', 'critical']);
    // critical is the top: no further steps, however long the wait.
    expect(slaSteps('low', 1000 * MIN, sla)).toHaveLength(3);
  });

  it('stops at a level without an SLA', () => {
    expect(slaSteps('low', 1000 * MIN, { low: 1 }).map((s) => s.to)).toEqual(['medium']);
    expect(slaSteps('medium', 1000 * MIN, { low: 1 })).toEqual([]);
    expect(slaSteps('high', 1000 * MIN, {})).toEqual([]);
  });

  it('tells when the next step falls due', () => {
    expect(nextSlaDue('low', 0, sla)).toBe(10 * MIN);
    expect(nextSlaDue('low', 1, sla)).toBe(15 * MIN);
    expect(nextSlaDue('low', 2, sla)).toBe(17 * MIN);
    expect(nextSlaDue('low', 3, sla)).toBeUndefined();
    expect(nextSlaDue('medium', 0, {})).toBeUndefined();
  });

  it('counts a task past its SLA by the priority it was queued with', () => {
    expect(pastSla('low', 11 * MIN, sla)).toBe(true);
    expect(pastSla('low', 9 * MIN, sla)).toBe(false);
    expect(pastSla('critical', 1000 * MIN, sla)).toBe(false);
  });
});
