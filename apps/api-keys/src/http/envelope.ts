import { STATUS_CODES } from 'node:http';

/** The documented success body: `{"status": {"code", "message"}, "data"}`. */
export interface SuccessBody<T> {
  readonly status: { readonly code: number; readonly message: string };
  readonly data: T;
}

/** The documented error body; `status.code` always equals the HTTP status. */
export interface ErrorBody {
  readonly status: { readonly code: number; readonly message: string };
  readonly error: string;
  readonly errors: readonly string[];
  readonly details: string;
}

export const success = <T>(code: number, message: string, data: T): SuccessBody<T> => ({
  status: { code, message },
  data,
});

export const failure = (code: number, error: string, errors: readonly string[], details: string): ErrorBody => ({
  status: { code, message: STATUS_CODES[code] ?? 'Error' },
  error,
  errors,
  details,
});

/**
 * An answer with headers of its own (ETag, Link...). The HTTP status is `status` when given (304
 * has no body), else the body's `status.code`.
 */
export class Reply<T = unknown> {
  constructor(
    readonly body: SuccessBody<T> | null,
    readonly headers: Readonly<Record<string, string>> = {},
    readonly status?: number,
  ) {}
}
