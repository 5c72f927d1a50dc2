import { describe, expect, it } from 'vitest';
import { classify, classifyStatus, TpError } from '../../../src/errors/index.js';

describe('classifyStatus', () => {
  const table: Array<[number, string, boolean, string]> = [
    // status, forge code, retryable, model code
    [400, 'FORGE_BAD_REQUEST', false, 'MODEL_BAD_REQUEST'],
    [401, 'FORGE_AUTH', false, 'MODEL_AUTH'],
    [403, 'FORGE_AUTH', false, 'MODEL_AUTH'],
    [404, 'FORGE_NOT_FOUND', false, 'MODEL_NOT_FOUND'],
    [409, 'FORGE_CONFLICT', false, 'MODEL_BAD_REQUEST'],
    [410, 'FORGE_BAD_REQUEST', false, 'MODEL_BAD_REQUEST'],
    [422, 'FORGE_CONFLICT', false, 'MODEL_BAD_REQUEST'],
    [408, 'TIMEOUT', true, 'TIMEOUT'],
    [429, 'RATE_LIMITED', true, 'RATE_LIMITED'],
    [500, 'SERVER_ERROR', true, 'SERVER_ERROR'],
    [502, 'SERVER_ERROR', true, 'SERVER_ERROR'],
  ];

  it.each(table)('%i → forge %s / model %s', (status, forgeCode, retryable, modelCode) => {
    const forge = classifyStatus(status, 'm', { domain: 'forge' });
    const model = classifyStatus(status, 'm', { domain: 'model' });
    expect(forge).toMatchObject({ code: forgeCode, retryable });
    expect(model).toMatchObject({ code: modelCode, retryable });
    expect(forge.details.status).toBe(status);
  });

  it('no forge 4xx is reported as a model error', () => {
    for (let status = 400; status < 500; status++) {
      expect(classifyStatus(status, 'm', { domain: 'forge' }).code.startsWith('MODEL_')).toBe(false);
    }
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(classifyStatus(400, 'm', { domain: 'forge', cause }).cause).toBe(cause);
  });
});

describe('classify', () => {
  it('reads a foreign error with a status as a forge answer unless told otherwise', () => {
    const err = Object.assign(new Error('bad'), { status: 400 });
    expect(classify(err).code).toBe('FORGE_BAD_REQUEST');
    expect(classify(err, 'model').code).toBe('MODEL_BAD_REQUEST');
  });

  it('passes TpErrors through', () => {
    const e = new TpError('x', { code: 'PUSH_FAILED' });
    expect(classify(e)).toBe(e);
  });
});
