import { describe, expect, it } from 'vitest';
import { retryWhileBusy } from '../../../src/store/busy-retry.js';

const sqliteError = (code: string) => Object.assign(new Error('database is locked'), { code });

describe('retryWhileBusy', () => {
  it('repeats a step that met SQLITE_BUSY until it succeeds', () => {
    let calls = 0;
    const v = retryWhileBusy(() => {
      calls++;
      if (calls < 4) throw sqliteError(calls === 2 ? 'SQLITE_BUSY_RECOVERY' : 'SQLITE_BUSY');
      return 'wal';
    });
    expect(v).toBe('wal');
    expect(calls).toBe(4);
  });

  it('throws any other error at once', () => {
    let calls = 0;
    expect(() =>
      retryWhileBusy(() => {
        calls++;
        throw sqliteError('SQLITE_CORRUPT');
      }),
    ).toThrow('database is locked');
    expect(calls).toBe(1);
  });

  it('gives up with the busy error once its deadline has passed', () => {
    let calls = 0;
    const err = (() => {
      try {
        retryWhileBusy(() => {
          calls++;
          throw sqliteError('SQLITE_BUSY');
        }, 60);
      } catch (e) {
        return e as { code?: string };
      }
    })();
    expect(err?.code).toBe('SQLITE_BUSY');
    expect(calls).toBeGreaterThan(1);
  });
});
