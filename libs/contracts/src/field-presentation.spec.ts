import { FieldRule, UPDATABLE_FIELDS, UpdatableField } from '@app/domain';
import { FIELD_PRESENTATION, fieldSchemas } from './field-presentation';

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
