// The API's error answers: Mailsac's {status, error, message} shape.
import type { Context } from 'hono';
import type { AppEnv } from '../deps.js';

type C = Context<AppEnv>;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  501: 'Not Implemented',
};

export function apiError(c: C, status: 400 | 401 | 403 | 404 | 413 | 429 | 501, message: string): Response {
  return c.json({ status, error: STATUS_TEXT[status], message }, status);
}

export const MSG = {
  forbidden: 'This inbox is private and not yours',
  noKey: 'An API key is required: send it in the Mailsac-Key header',
  badKey: 'Invalid API key',
  notFound: 'Message not found',
  badEmail: 'Invalid email address',
  admin: 'Only an admin can do this',
};
