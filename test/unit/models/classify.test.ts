import { describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { classifyModelError, isHostFailure } from '../../../src/models/index.js';

/** The error the `ollama` package throws for a non-2xx answer. */
function responseError(status: number, message: string): Error {
  return Object.assign(new Error(message), { name: 'ResponseError', error: message, status_code: status });
}

function netError(code: string, message = 'fetch failed'): Error {
  return new TypeError(message, { cause: Object.assign(new Error(code), { code }) });
}

const ctx = { model: 'ollama/deepseek-coder', host: 'http://gpu:11434' };

describe('classifyModelError', () => {
  const table: Array<[string, unknown, object, string, boolean, boolean]> = [
    // name, error, context, code, retryable, counts against the host
    ['connection refused', netError('ECONNREFUSED'), ctx, 'NETWORK', true, true],
    ['connection reset', netError('ECONNRESET'), ctx, 'NETWORK', true, true],
    ['DNS failure', netError('ENOTFOUND'), ctx, 'NETWORK', true, true],
    ['socket timeout', netError('ETIMEDOUT'), ctx, 'TIMEOUT', true, true],
    [
      'fetch TimeoutError',
      Object.assign(new Error('t'), { name: 'TimeoutError' }),
      ctx,
      'TIMEOUT',
      true,
      true,
    ],
    ['500', responseError(500, 'internal server error'), ctx, 'SERVER_ERROR', true, true],
    ['502', responseError(502, 'bad gateway'), ctx, 'SERVER_ERROR', true, true],
    ['503 busy', responseError(503, 'server busy, please try again'), ctx, 'MODEL_UNAVAILABLE', true, true],
    ['500 model is loading', responseError(500, 'model is loading'), ctx, 'MODEL_UNAVAILABLE', true, true],
    ['429', responseError(429, 'too many requests'), ctx, 'RATE_LIMITED', true, true],
    ['408', responseError(408, 'request timeout'), ctx, 'TIMEOUT', true, true],
    [
      'socket closed mid-stream',
      netError('UND_ERR_SOCKET', 'terminated'),
      { ...ctx, streaming: true },
      'STREAM_CUT',
      true,
      true,
    ],
    [
      'stream ended without done',
      new Error('Did not receive done or success response in stream.'),
      { ...ctx, streaming: true },
      'STREAM_CUT',
      true,
      true,
    ],
    [
      'error line in the stream',
      new Error('llama runner process has terminated: signal: killed'),
      { ...ctx, streaming: true },
      'SERVER_ERROR',
      true,
      true,
    ],
    [
      '404 model',
      responseError(404, 'model "deepseek-coder" not found, try pulling it first'),
      ctx,
      'MODEL_NOT_FOUND',
      false,
      false,
    ],
    [
      '400',
      responseError(400, 'deepseek-coder does not support tools'),
      ctx,
      'MODEL_BAD_REQUEST',
      false,
      false,
    ],
    ['401', responseError(401, 'unauthorized'), ctx, 'MODEL_AUTH', false, false],
    [
      'caller abort',
      Object.assign(new Error('aborted'), { name: 'AbortError' }),
      ctx,
      'ABORTED',
      true,
      false,
    ],
    ['a bug', new RangeError('x is not a function'), ctx, 'INTERNAL', false, false],
  ];

  it.each(table)('%s → %s', (_name, err, c, code, retryable, hostFailure) => {
    const e = classifyModelError(err, c);
    expect(e).toBeInstanceOf(TpError);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.errorType).toBe(retryable ? 'transient' : 'permanent');
    expect(isHostFailure(e)).toBe(hostFailure);
  });

  it('MODEL_NOT_FOUND names the pull command with the canonical model', () => {
    const e = classifyModelError(responseError(404, 'model not found'), ctx);
    expect(e.hint).toBe('Run `ollama pull deepseek-coder:latest` on http://gpu:11434.');
    expect(e.details).toMatchObject({
      status: 404,
      model: 'deepseek-coder:latest',
      host: 'http://gpu:11434',
    });
  });

  it('a refused connection hints at starting Ollama', () => {
    expect(classifyModelError(netError('ECONNREFUSED'), ctx).hint).toMatch(/ollama serve/);
  });

  it('passes TpErrors through unchanged', () => {
    const original = new TpError('x', { code: 'CIRCUIT_OPEN', retryable: true });
    expect(classifyModelError(original, ctx)).toBe(original);
  });

  it('never shows credentials from the host URL', () => {
    const host = 'http://admin:s3cret@gpu:11434';
    const e = classifyModelError(new Error(`connect to ${host} failed: model is loading`), {
      model: 'x',
      host,
    });
    expect(e.message).not.toContain('s3cret');
    expect(JSON.stringify(e.details)).not.toContain('s3cret');
    expect(e.message).toContain('http://gpu:11434');
  });
});
