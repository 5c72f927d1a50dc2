import { describe, expect, it } from 'vitest';
import { redact, redactLikelySecrets, redactUrl } from '../../../src/secrets/index.js';

describe('redact', () => {
  it('replaces every occurrence of each listed value', () => {
    expect(redact('tok-1 and tok-2, again tok-1', ['tok-1', 'tok-2'])).toBe('*** and ***, again ***');
  });

  it('takes one value as well as a list (a forge client holds one token)', () => {
    expect(redact('GET failed for s3cr3t-value', 's3cr3t-value')).toBe('GET failed for ***');
  });

  it('skips empty values instead of blanking the text', () => {
    expect(redact('nothing here', '')).toBe('nothing here');
    expect(redact('nothing here', ['', 'absent'])).toBe('nothing here');
  });

  it('redacts URL credentials whatever their value', () => {
    expect(redact('fatal: could not read https://bot:unknown-token@git.example/x.git')).toBe(
      'fatal: could not read https://***@git.example/x.git',
    );
  });
});

describe('redactUrl', () => {
  it('drops the user info and the trailing slash of a URL shown on its own', () => {
    expect(redactUrl('http://u:p@ollama.local:11434/')).toBe('http://ollama.local:11434');
    expect(redactUrl('not a url //u:p@host')).toBe('not a url //host');
  });
});

describe('redactLikelySecrets', () => {
  it('redacts values of known token shapes that no one listed', () => {
    const token = `ghp_${'a'.repeat(36)}`;
    expect(redactLikelySecrets(`push with ${token} failed`)).toBe('push with *** failed');
  });
});
