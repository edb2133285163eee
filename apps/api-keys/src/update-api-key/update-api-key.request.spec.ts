import { ValidationFailedError } from '../errors';
import { ValidBody } from '../http/body-validation';
import { UpdateApiKeyRequest } from './update-api-key.request';

// The body of PUT /api/v1/api_keys/:id as the route's pipe judges it: the instance, or a 422
// listing one problem per invalid field, each named by its path in the body.
const validate = (body: unknown) => new ValidBody(UpdateApiKeyRequest).transform(body);

/** The problems a body is refused with, as one text ('' when it is accepted). */
function problemsWith(body: unknown): string {
  try {
    validate(body);
    return '';
  } catch (error) {
    if (!(error instanceof ValidationFailedError)) throw error;
    return error.errors.join('\n');
  }
}

describe('the update request body', () => {
  describe('accepted', () => {
    it.each([
      ['a name alone', { name: 'Renamed' }],
      ['origins alone', { allowed_origins: ['https://a.example', 'http://localhost:3000'] }],
      ['assistants alone', { allowed_assistants: ['123', '456'] }],
      ['an empty list, which clears it', { allowed_origins: [] }],
      [
        'all three fields',
        { name: 'Updated Production Key', allowed_origins: ['https://example.com'], allowed_assistants: ['1'] },
      ],
    ])('accepts %s, keeping the values as sent', (_, fields) => {
      const request = validate({ api_key: fields });
      expect(request).toBeInstanceOf(UpdateApiKeyRequest);
      expect(request.api_key).toEqual(fields);
    });

    it('trims the name', () => {
      expect(validate({ api_key: { name: '  Padded  ' } }).api_key.name).toBe('Padded');
    });
  });

  describe('refused, naming the field', () => {
    it.each([
      ['key_type', { key_type: 'public' }],
      ['key_value', { key_value: 'vk_priv_x' }],
      ['transient_assistant', { transient_assistant: true }],
      ['id', { id: 5 }],
      ['user_id', { user_id: 2 }],
      ['user_email', { user_email: 'x@example.com' }],
      ['created_at', { created_at: '2024-01-01T00:00:00Z' }],
      ['updated_at', { updated_at: '2024-01-01T00:00:00Z' }],
      ['colour', { colour: 'blue' }],
    ])('refuses the field %s, which an update cannot set', (field, fields) => {
      expect(problemsWith({ api_key: { name: 'ok', ...fields } }).split('\n')).toContain(
        `api_key.${field} is not allowed`,
      );
    });

    it.each([
      [
        'no field at all',
        { api_key: {} },
        'api_key must set at least one of name, allowed_origins, allowed_assistants',
      ],
      ['no api_key object', { name: 'x' }, 'api_key is required'],
      ['api_key that is not an object', { api_key: 'x' }, 'api_key must be an object'],
      ['api_key that is an array', { api_key: [{ name: 'x' }] }, 'api_key must be an object'],
      ['a null name', { api_key: { name: null } }, 'api_key.name must be a string'],
      ['an empty name', { api_key: { name: '   ' } }, 'api_key.name must be 1 to 255 characters (after trimming)'],
      [
        'a 256-character name',
        { api_key: { name: 'x'.repeat(256) } },
        'api_key.name must be 1 to 255 characters (after trimming)',
      ],
      ['a name with NUL', { api_key: { name: 'a\u0000b' } }, 'api_key.name must not contain control characters'],
      ['a name with a newline', { api_key: { name: 'a\nb' } }, 'api_key.name must not contain control characters'],
      ['a name with a trailing tab', { api_key: { name: 'ab\t' } }, 'api_key.name must not contain control characters'],
      [
        'a name with a bidi override',
        { api_key: { name: 'a\u202eb' } },
        'api_key.name must not contain control characters',
      ],
      ['an operator object as name', { api_key: { name: { $gt: '' } } }, 'api_key.name must be a string'],
      ['a number as name', { api_key: { name: 42 } }, 'api_key.name must be a string'],
      [
        'origins that are not an array',
        { api_key: { allowed_origins: 'https://a.example' } },
        'api_key.allowed_origins must be an array of origins',
      ],
      [
        'an origin with a path',
        { api_key: { allowed_origins: ['https://a.example/path'] } },
        'api_key.allowed_origins[0] must be an origin',
      ],
      [
        'an origin with a trailing slash',
        { api_key: { allowed_origins: ['https://ok.example', 'https://a.example/'] } },
        'api_key.allowed_origins[1] must be an origin',
      ],
      [
        'an origin with a query',
        { api_key: { allowed_origins: ['https://a.example?x=1'] } },
        'api_key.allowed_origins[0] must be an origin',
      ],
      [
        'an origin with credentials',
        { api_key: { allowed_origins: ['https://u:p@a.example'] } },
        'api_key.allowed_origins[0] must be an origin',
      ],
      [
        'an ftp origin',
        { api_key: { allowed_origins: ['ftp://a.example'] } },
        'api_key.allowed_origins[0] must be an origin',
      ],
      [
        'an operator object as origin',
        { api_key: { allowed_origins: [{ $ne: null }] } },
        'api_key.allowed_origins[0] must be an origin',
      ],
      [
        'duplicate origins',
        { api_key: { allowed_origins: ['https://a.example', 'https://a.example'] } },
        'api_key.allowed_origins must not contain duplicates',
      ],
      [
        '51 origins',
        { api_key: { allowed_origins: Array.from({ length: 51 }, (_, i) => `https://h${i}.example`) } },
        'api_key.allowed_origins must have at most 50 origins',
      ],
      [
        'an empty assistant id',
        { api_key: { allowed_assistants: ['1', ''] } },
        'api_key.allowed_assistants[1] must be a non-empty string',
      ],
      [
        'a numeric assistant id',
        { api_key: { allowed_assistants: [123] } },
        'api_key.allowed_assistants[0] must be a non-empty string',
      ],
      [
        '101 assistants',
        { api_key: { allowed_assistants: Array.from({ length: 101 }, (_, i) => `${i}`) } },
        'api_key.allowed_assistants must have at most 100 assistant ids',
      ],
      [
        'a __proto__ key',
        JSON.parse('{"api_key":{"name":"x","__proto__":{"admin":true}}}'),
        'api_key.__proto__ is not allowed',
      ],
    ])('refuses %s', (_, body, problem) => {
      expect(problemsWith(body)).toContain(problem);
    });
  });
});
