/**
 * Clerk's error envelope: `{errors:[{code,message,long_message,meta}], meta:{}, clerk_trace_id}`.
 * Route code throws an ApiFailure; the request handler turns it into that body with its status.
 */

export interface ClerkErrorItem {
  code: string;
  message: string;
  long_message: string;
  meta?: Record<string, unknown>;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly item: ClerkErrorItem,
    readonly headers: Record<string, string> = {},
  ) {
    super(item.message);
  }
}

export const SECRET_KEY_INVALID_MESSAGE = 'The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.';

export function secretKeyInvalid(): ApiFailure {
  // Exactly the code @clerk/backend's JWKS loader looks for (-> TokenVerificationError secret-key-invalid).
  return new ApiFailure(401, { code: 'clerk_key_invalid', message: SECRET_KEY_INVALID_MESSAGE, long_message: SECRET_KEY_INVALID_MESSAGE });
}

export function notFound(what: string, id?: string): ApiFailure {
  const message = 'not found';
  const long = id === undefined ? `The requested ${what} was not found.` : `No ${what} was found with id ${id}.`;
  return new ApiFailure(404, { code: 'resource_not_found', message, long_message: long, meta: {} });
}

/** 422 for invalid input, naming the parameter in `meta.param_name` as Clerk does. */
export function unprocessable(code: string, param: string, longMessage: string): ApiFailure {
  const message = code === 'form_param_missing' ? `${param} must be included` : 'is invalid';
  return new ApiFailure(422, { code, message, long_message: longMessage, meta: { param_name: param } });
}

export function badRequest(longMessage: string): ApiFailure {
  return new ApiFailure(400, { code: 'malformed_request', message: 'malformed request', long_message: longMessage, meta: {} });
}

export function methodNotAllowed(method: string, path: string): ApiFailure {
  return new ApiFailure(405, { code: 'method_not_allowed', message: 'method not allowed', long_message: `${method} is not supported on ${path}.`, meta: {} });
}

export function envelope(item: ClerkErrorItem, traceId: string): Record<string, unknown> {
  return { errors: [{ meta: {}, ...item }], meta: {}, clerk_trace_id: traceId };
}
