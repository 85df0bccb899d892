// The API's error answers: Mailsac's {status, error, message} shape.
import type { Context } from 'hono';
import type { AppEnv } from '../deps.js';

type C = Context<AppEnv>;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  501: 'Not Implemented',
};

/** extra: fields beside Mailsac's three, declared as optional in the Error schema (schemas.ts). */
export function apiError(c: C, status: 400 | 401 | 402 | 403 | 404 | 413 | 429 | 501, message: string, extra: Record<string, number> = {}): Response {
  return c.json({ status, error: STATUS_TEXT[status], message, ...extra }, status);
}

export const MSG = {
  forbidden: 'This inbox is private and not yours',
  noKey: 'An API key is required: send it in the Mailsac-Key header',
  badKey: 'Invalid API key',
  notFound: 'Message not found',
  badEmail: 'Invalid email address',
  admin: 'Only an admin can do this',
};
