import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsDefined, ValidateBy, ValidateIf } from 'class-validator';
import { FieldRule, FieldRules } from '@app/domain';

/** Validators apply only when the field is present; an explicit null is an error, not "absent". */
export const WhenPresent = () => ValidateIf((_, value) => value !== undefined);

/** A domain field rule as class-validator metadata; its problem is named by the field's path. */
export function FollowsRule(rule: FieldRule<unknown>, options: { required: boolean }): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => rule.normalize(value)),
    options.required ? IsDefined({ message: '$path is required' }) : WhenPresent(),
    ValidateBy({
      name: 'fieldRule',
      validator: {
        validate: (value: unknown) => rule.problem(value) === null,
        defaultMessage: (args) => {
          const problem = rule.problem(args?.value) ?? { message: 'is invalid' };
          return problem.index === undefined
            ? `$path ${problem.message}`
            : `$path[${problem.index}] ${problem.message}`;
        },
      },
    }),
  );
}

/**
 * Declares every field of `rules` on a request class, each validated by its own rule: the domain's
 * field list is the only list, so a new field is validated without touching any request class.
 */
export function declareFields(
  target: abstract new () => object,
  rules: FieldRules,
  required: (rule: FieldRule<unknown>) => boolean,
): void {
  for (const [field, rule] of Object.entries(rules)) {
    FollowsRule(rule, { required: required(rule) })(target.prototype as object, field);
  }
}
