import {
  FieldRule,
  NAME_MAX_LENGTH,
  UPDATABLE_FIELDS,
  UpdatableField,
  isAssistantId,
  isInvisible,
  isOrigin,
} from '@app/domain';
import { FIELD_PRESENTATION, JsonSchema, fieldSchemas } from './field-presentation';

describe('the presentation of the updatable fields', () => {
  it('presents exactly the fields of the domain’s list, in its order', () => {
    expect(Object.keys(FIELD_PRESENTATION).sort()).toEqual(Object.keys(UPDATABLE_FIELDS).sort());
    expect(Object.keys(fieldSchemas())).toEqual(Object.keys(UPDATABLE_FIELDS));
  });

  it.each(Object.keys(UPDATABLE_FIELDS) as UpdatableField[])(
    'gives %s an example that its own rule accepts, in a request and on the wire',
    (field) => {
      const rule: FieldRule<unknown> = UPDATABLE_FIELDS[field];
      const { example } = FIELD_PRESENTATION[field];
      expect(rule.problem(rule.normalize(example))).toBeNull();
      expect(rule.isWireValue(example)).toBe(true);
    },
  );
});

describe('the patterns the document states for the fields', () => {
  const request = fieldSchemas('request');
  const record = fieldSchemas();
  const itemPattern = (schema: JsonSchema) => new RegExp((schema.items as JsonSchema).pattern as string, 'u');
  const patternOf = (schema: JsonSchema) => new RegExp(schema.pattern as string, 'u');
  // Every BMP character but the lone surrogates, and a few beyond it.
  const characters = Array.from({ length: 0x10000 }, (_, c) => c)
    .filter((c) => c < 0xd800 || c > 0xdfff)
    .concat([0x1f600, 0xe0001, 0xe0100])
    .map((c) => String.fromCodePoint(c));
  const accepts = (field: UpdatableField, value: unknown) => {
    const rule: FieldRule<unknown> = UPDATABLE_FIELDS[field];
    return rule.problem(rule.normalize(value)) === null;
  };

  it('states every rule of an assistant id but "visible", in requests', () => {
    const pattern = itemPattern(request.allowed_assistants);
    const wrong = characters
      .flatMap((c) => [c, `a${c}b`, `${c}a`, `a${c}`])
      .filter((id) => pattern.test(id) !== (isAssistantId(id) || (pattern.test(id) && isInvisible(id))));
    expect(wrong).toEqual([]);
  });

  it('states every rule of a name but "visible", in requests, spaces around it not counted', () => {
    const pattern = patternOf(request.name);
    const wrong = characters
      .flatMap((c) => [c, `a${c}b`, `${c}a`, ` a${c}`])
      .concat([' '.repeat(3) + 'x'.repeat(NAME_MAX_LENGTH) + '\u3000', 'x'.repeat(NAME_MAX_LENGTH + 1), ' '])
      .filter((name) => pattern.test(name) !== (accepts('name', name) || (pattern.test(name) && isInvisible(name))));
    expect(wrong).toEqual([]);
  });

  it('lets the records keep every value a request may set', () => {
    const values = characters.flatMap((c) => [c, `a${c}b`]);
    expect(values.filter((id) => isAssistantId(id) && !itemPattern(record.allowed_assistants).test(id))).toEqual([]);
    expect(values.filter((name) => accepts('name', name) && !patternOf(record.name).test(name.trim()))).toEqual([]);
    // A bidirectional mark was allowed once: the log may hold it.
    expect(itemPattern(record.allowed_assistants).test('a\u200eb')).toBe(true);
  });

  it('matches every origin a browser sends, and none with a path, credentials or capitals', () => {
    const pattern = itemPattern(request.allowed_origins);
    const origins = [
      'https://example.com',
      'http://localhost:3000',
      'http://[::1]:8080',
      'https://xn--bcher-kva.ch',
      'http://a:65535',
      'http://[::ffff:102:304]',
    ];
    expect(origins.filter((origin) => !isOrigin(origin) || !pattern.test(origin))).toEqual([]);
    const others = [
      'https://Example.com',
      'https://example.com/',
      'https://u@example.com',
      'ftp://example.com',
      'http://a:65536',
      'http://[::ffff:1.2.3.4]',
    ];
    expect(others.filter((origin) => pattern.test(origin))).toEqual([]);
  });
});
