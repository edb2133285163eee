import { ValidationFailedError } from '../errors';
import { ValidBody } from '../http/body-validation';
import { CreateApiKeyRequest } from './create-api-key.request';

// The body of POST /api/v1/api_keys as the route's pipe judges it: the instance, or a 422
// listing one problem per invalid field, each named by its path in the body.
const validate = (body: unknown) => new ValidBody(CreateApiKeyRequest).transform(body);

/** The problems a rejected body is refused with ([] when it is accepted). */
function problemsWith(body: unknown): readonly string[] {
  try {
    validate(body);
    return [];
  } catch (error) {
    if (!(error instanceof ValidationFailedError)) throw error;
    return error.errors;
  }
}

const valid = { name: 'Valid name', key_type: 'private' };
const withFields = (fields: Record<string, unknown>) => ({ api_key: { ...valid, ...fields } });
const without = (field: string) => ({
  api_key: Object.fromEntries(Object.entries(valid).filter(([name]) => name !== field)),
});
const origins = (n: number) => Array.from({ length: n }, (_, i) => `https://app${i}.example.com`);
const assistants = (n: number) => Array.from({ length: n }, (_, i) => `assistant-${i}`);

describe('the create request body', () => {
  describe('accepted', () => {
    it.each([
      ['a name of exactly 255 characters', { name: 'n'.repeat(255) }],
      ['a one-character name', { name: 'x' }],
      ['a name with non-ASCII letters and emoji', { name: 'Clé de production – 東京 🔑' }],
      [
        'origins with a port, an IP address and IPv6',
        { allowed_origins: ['https://app.example.com:8443', 'http://127.0.0.1:3000', 'http://[::1]:8080'] },
      ],
      ['the maximum number of origins (50)', { allowed_origins: origins(50) }],
      ['the maximum number of assistants (100)', { allowed_assistants: assistants(100) }],
      ['explicitly empty lists', { allowed_origins: [], allowed_assistants: [] }],
      ['transient_assistant true', { transient_assistant: true }],
      ['transient_assistant false', { transient_assistant: false }],
      ['a public key_type', { key_type: 'public' }],
    ])('accepts %s, keeping the values as sent', (_, fields) => {
      const request = validate(withFields(fields));
      expect(request).toBeInstanceOf(CreateApiKeyRequest);
      expect(request.api_key).toMatchObject({ ...valid, ...fields });
    });

    it('accepts a body without the optional fields', () => {
      expect(validate({ api_key: valid }).api_key).toMatchObject(valid);
    });

    it('trims the name, also a 255-character one with surrounding spaces', () => {
      expect(validate(withFields({ name: '   Padded name  ' })).api_key.name).toBe('Padded name');
      expect(validate(withFields({ name: `  ${'n'.repeat(255)}  ` })).api_key.name).toBe('n'.repeat(255));
    });
  });

  describe('refused, naming the field', () => {
    it.each([
      // the envelope object
      ['a body that is an array', [valid], 'JSON object'],
      ['a body that is a number', 42, 'JSON object'],
      ['a body that is null', null, 'JSON object'],
      ['a body without api_key', {}, 'api_key'],
      ['api_key that is a string', { api_key: 'key' }, 'api_key'],
      ['api_key that is an array', { api_key: [valid] }, 'api_key'],
      ['api_key that is null', { api_key: null }, 'api_key'],
      ['an unknown top-level field', { ...withFields({}), extra: true }, 'extra'],
      // name
      ['a missing name', without('name'), 'api_key.name'],
      ['a null name', withFields({ name: null }), 'api_key.name'],
      ['an empty name', withFields({ name: '' }), 'api_key.name'],
      ['a name of only spaces', withFields({ name: '    ' }), 'api_key.name'],
      ['a name of 256 characters', withFields({ name: 'n'.repeat(256) }), 'api_key.name'],
      ['a numeric name', withFields({ name: 12345 }), 'api_key.name'],
      ['a name that is an array', withFields({ name: ['a'] }), 'api_key.name'],
      ['a name with a newline', withFields({ name: 'line\nbreak' }), 'api_key.name'],
      ['a name with a trailing newline', withFields({ name: 'trailing\n' }), 'api_key.name'],
      ['a name with a NUL', withFields({ name: 'nul\u0000byte' }), 'api_key.name'],
      ['a name with a tab inside', withFields({ name: 'tab\there' }), 'api_key.name'],
      ['a name with DEL', withFields({ name: 'del\u007f' }), 'api_key.name'],
      ['a name with a C1 control', withFields({ name: 'c1\u0085' }), 'api_key.name'],
      ['a name with an ANSI escape', withFields({ name: '\u001b[31mred' }), 'api_key.name'],
      ['a name with a right-to-left override', withFields({ name: 'abc\u202Egpj.exe' }), 'api_key.name'],
      // key_type
      ['a missing key_type', without('key_type'), 'api_key.key_type'],
      ['a null key_type', withFields({ key_type: null }), 'api_key.key_type'],
      ['an unknown key_type', withFields({ key_type: 'admin' }), 'api_key.key_type'],
      ['an upper-case key_type', withFields({ key_type: 'PRIVATE' }), 'api_key.key_type'],
      ['a numeric key_type', withFields({ key_type: 1 }), 'api_key.key_type'],
      // allowed_origins
      [
        'allowed_origins that is a string',
        withFields({ allowed_origins: 'https://example.com' }),
        'api_key.allowed_origins',
      ],
      ['allowed_origins that is null', withFields({ allowed_origins: null }), 'api_key.allowed_origins'],
      ['an origin that is a number', withFields({ allowed_origins: [443] }), 'api_key.allowed_origins'],
      ['an origin without a scheme', withFields({ allowed_origins: ['example.com'] }), 'api_key.allowed_origins'],
      ['an ftp origin', withFields({ allowed_origins: ['ftp://example.com'] }), 'api_key.allowed_origins'],
      ['a javascript: origin', withFields({ allowed_origins: ['javascript:alert(1)'] }), 'api_key.allowed_origins'],
      ['a file: origin', withFields({ allowed_origins: ['file:///etc/passwd'] }), 'api_key.allowed_origins'],
      ['a wildcard origin', withFields({ allowed_origins: ['*'] }), 'api_key.allowed_origins'],
      [
        'an origin with a path',
        withFields({ allowed_origins: ['https://example.com/app'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with a trailing slash',
        withFields({ allowed_origins: ['https://example.com/'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with a query',
        withFields({ allowed_origins: ['https://example.com?x=1'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with a fragment',
        withFields({ allowed_origins: ['https://example.com#top'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with credentials',
        withFields({ allowed_origins: ['https://user:pass@example.com'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with a user only',
        withFields({ allowed_origins: ['https://user@example.com'] }),
        'api_key.allowed_origins',
      ],
      ['an origin with no host', withFields({ allowed_origins: ['https://'] }), 'api_key.allowed_origins'],
      [
        'an origin with a non-numeric port',
        withFields({ allowed_origins: ['https://example.com:port'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with an out-of-range port',
        withFields({ allowed_origins: ['https://example.com:70000'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with surrounding spaces',
        withFields({ allowed_origins: [' https://example.com '] }),
        'api_key.allowed_origins',
      ],
      ['an empty origin', withFields({ allowed_origins: [''] }), 'api_key.allowed_origins'],
      [
        'a valid origin followed by an invalid one',
        withFields({ allowed_origins: ['https://ok.example.com', 'https://bad.example.com/path'] }),
        'api_key.allowed_origins[1]',
      ],
      ['51 origins (over the maximum)', withFields({ allowed_origins: origins(51) }), 'api_key.allowed_origins'],
      [
        'a duplicated origin',
        withFields({ allowed_origins: ['https://example.com', 'https://example.com'] }),
        'api_key.allowed_origins',
      ],
      // allowed_assistants
      ['allowed_assistants that is a string', withFields({ allowed_assistants: '123' }), 'api_key.allowed_assistants'],
      ['allowed_assistants that is null', withFields({ allowed_assistants: null }), 'api_key.allowed_assistants'],
      ['an empty assistant id', withFields({ allowed_assistants: [''] }), 'api_key.allowed_assistants'],
      ['a numeric assistant id', withFields({ allowed_assistants: [123] }), 'api_key.allowed_assistants'],
      ['a null assistant id', withFields({ allowed_assistants: [null] }), 'api_key.allowed_assistants'],
      ['an object as assistant id', withFields({ allowed_assistants: [{ id: '1' }] }), 'api_key.allowed_assistants'],
      [
        'an assistant id with a control character',
        withFields({ allowed_assistants: ['a\nb'] }),
        'api_key.allowed_assistants',
      ],
      [
        '101 assistants (over the maximum)',
        withFields({ allowed_assistants: assistants(101) }),
        'api_key.allowed_assistants',
      ],
      // transient_assistant
      ['transient_assistant as a string', withFields({ transient_assistant: 'true' }), 'api_key.transient_assistant'],
      ['transient_assistant as a number', withFields({ transient_assistant: 1 }), 'api_key.transient_assistant'],
      ['transient_assistant null', withFields({ transient_assistant: null }), 'api_key.transient_assistant'],
      // fields the client may not set
      ['a key_value', withFields({ key_value: 'vk_priv_chosen_by_client' }), 'api_key.key_value'],
      ['an id', withFields({ id: 1 }), 'api_key.id'],
      ['a user_id', withFields({ user_id: 1 }), 'api_key.user_id'],
      ['a user_email', withFields({ user_email: 'someone@example.com' }), 'api_key.user_email'],
      ['a key_hash', withFields({ key_hash: '0'.repeat(64) }), 'api_key.key_hash'],
      ['a created_at', withFields({ created_at: '2024-01-15T11:00:00Z' }), 'api_key.created_at'],
      ['a deleted_at', withFields({ deleted_at: null }), 'api_key.deleted_at'],
      ['an unknown field', withFields({ colour: 'blue' }), 'api_key.colour'],
      ['a field name in another case', withFields({ Name: 'Shadow' }), 'api_key.Name'],
    ])('refuses %s', (_, body, field) => {
      expect(problemsWith(body)).toContainEqual(expect.stringContaining(field));
    });

    it.each([
      [
        '__proto__',
        '{"api_key":{"name":"Polluter","key_type":"private","__proto__":{"admin":true}}}',
        'api_key.__proto__',
      ],
      [
        'constructor',
        '{"api_key":{"name":"Polluter","key_type":"private","constructor":{"prototype":{"admin":true}}}}',
        'api_key.constructor',
      ],
      [
        'a top-level __proto__',
        '{"__proto__":{"admin":true},"api_key":{"name":"Polluter","key_type":"private"}}',
        '__proto__',
      ],
    ])('refuses a body smuggling %s, polluting no prototype', (_, json, field) => {
      expect(problemsWith(JSON.parse(json))).toContainEqual(expect.stringContaining(field));
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });

    it('lists one problem per invalid field, each naming its field', () => {
      const problems = problemsWith({
        api_key: {
          name: '',
          key_type: 'root',
          allowed_origins: ['ftp://x.example.com'],
          transient_assistant: 'yes',
          key_value: 'mine',
        },
      });
      expect(problems).toHaveLength(5);
      for (const field of [
        'api_key.name',
        'api_key.key_type',
        'api_key.allowed_origins',
        'api_key.transient_assistant',
        'api_key.key_value',
      ]) {
        expect(
          problems.filter((problem) => problem.includes(`${field} `) || problem.includes(`${field}[`)),
        ).toHaveLength(1);
      }
    });
  });
});
