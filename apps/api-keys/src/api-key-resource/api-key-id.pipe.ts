import { PipeTransform } from '@nestjs/common';
import { ApiKeyNotFoundError } from '../errors';

/** Path ids are positive integers; anything else names no key, so it is a 404 like a missing one. */
export class ApiKeyIdPipe implements PipeTransform<string, number> {
  transform(raw: string): number {
    const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(id)) throw new ApiKeyNotFoundError();
    return id;
  }
}
