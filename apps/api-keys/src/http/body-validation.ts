import { PipeTransform } from '@nestjs/common';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { ValidationFailedError } from '../errors';

// Keys that would reach object prototypes if a library copied them blindly.
const POISONED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function poisonedPaths(value: unknown, path: string, found: string[]): string[] {
  if (typeof value !== 'object' || value === null) return found;
  for (const key of Object.keys(value)) {
    const child = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (!Array.isArray(value) && POISONED_KEYS.has(key)) found.push(`${child} is not allowed`);
    else poisonedPaths((value as Record<string, unknown>)[key], child, found);
  }
  return found;
}

/** One readable problem per invalid field, named by its path in the body (`api_key.name`). */
export function describeProblems(errors: readonly ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) =>
      constraint === 'whitelistValidation' ? `${path} is not allowed` : message.replace(/\$path/g, path),
    );
    return [...own, ...describeProblems(error.children ?? [], path)];
  });
}

/**
 * Turns a parsed JSON body into a validated request object, or a 422 listing every problem.
 * Unknown fields are errors, not silently dropped: a client that sends `key_type` to an update
 * must learn that it had no effect.
 */
export class ValidBody<T extends object> implements PipeTransform<unknown, T> {
  constructor(
    private readonly type: ClassConstructor<T>,
    private readonly part: 'request body' | 'query' = 'request body',
  ) {}

  transform(body: unknown): T {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ValidationFailedError([`the ${this.part} must be a JSON object`], this.part);
    }
    const poisoned = poisonedPaths(body, '', []);
    if (poisoned.length > 0) throw new ValidationFailedError(poisoned, this.part);
    const instance = plainToInstance(this.type, body);
    const errors = validateSync(instance, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
    });
    if (errors.length > 0) throw new ValidationFailedError(describeProblems(errors), this.part);
    return instance;
  }
}
