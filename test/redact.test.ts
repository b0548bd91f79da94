import { describe, expect, it } from 'vitest';
import { capDepth } from '../src/doctor/explain/token.js';
import { redact, redactDeep, redactSecretKey, redactToken } from '../src/redact.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.AAAABBBBCCCCDDDDEEEE';
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nabc+/=\n-----END PRIVATE KEY-----';

describe('redact', () => {
  it('hides tokens, secret keys and private keys but keeps a recognisable prefix', () => {
    const out = redact(`token=${JWT} key=sk_test_abcdefghijklmnop1234 ${PEM} Authorization: Bearer opaque_token_value_123456`);
    expect(out).not.toContain(JWT);
    expect(out).not.toContain('abcdefghijklmnop');
    expect(out).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
    expect(out).not.toContain('opaque_token_value_123456');
    expect(out).toContain('eyJhbGciOi…[redacted');
    expect(out).toContain('sk_test_…1234');
    expect(out).toContain('[redacted private key]');
  });

  it('hides each kind of secret on its own, glued to other text', () => {
    // One secret per string: the quick "nothing to redact" check must not let any kind through.
    const alone = [
      [`token=${JWT}`, JWT],
      [`access_token_${JWT}`, JWT],
      [`x${JWT}`, JWT],
      ['key=rk_live_abcdefghijklmnop1234', 'abcdefghijklmnop'],
      [`pem:${PEM}`, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'],
      [PEM.replace(/\n/g, '\\n'), 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'],
      [PEM.slice(0, 60), 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'],
      ['Bearer opaque_token_value_123456', 'opaque_token_value_123456'],
    ];
    for (const [text, secret] of alone) expect(redact(text), text).not.toContain(secret);
    const plain = 'create job > alg-none: accepted with 201 (expected 401)';
    expect(redact(plain)).toBe(plain);
  });

  it('handles PEMs with escaped newlines as found in env files', () => {
    expect(redact(PEM.replace(/\n/g, '\\n'))).toBe('[redacted private key]');
  });

  it('leaves public keys and ordinary text alone, and is idempotent', () => {
    const pub = '-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----';
    expect(redact(pub)).toBe(pub);
    const once = redact(`x ${JWT}`);
    expect(redact(once)).toBe(once);
  });

  it('redacts deeply and short values safely', () => {
    expect(redactDeep({ a: [JWT], b: { c: 1 } })).toEqual({ a: [redactToken(JWT)], b: { c: 1 } });
    expect(redactToken('short')).toBe('[redacted]');
    expect(redactSecretKey('sk_live_0123456789abcdef')).toBe('sk_live_…cdef');
  });

  it('a "__proto__" key stays a plain own property, in redactDeep and in doctor\'s capDepth', () => {
    const hostile = JSON.parse(`{"__proto__": {"polluted": "${JWT}"}, "constructor": 1, "sub": "user_1"}`) as Record<string, unknown>;
    for (const out of [redactDeep(hostile), capDepth(hostile) as Record<string, unknown>]) {
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(Object.keys(out)).toEqual(['__proto__', 'constructor', 'sub']);
      expect((out as { polluted?: unknown }).polluted).toBeUndefined();
      expect(JSON.stringify(out)).toContain('"__proto__":{"polluted":');
    }
    expect(JSON.stringify(redactDeep(hostile))).not.toContain(JWT);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
