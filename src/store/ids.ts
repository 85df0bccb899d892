import { randomBytes } from 'node:crypto';

/** Opaque, unguessable public message id (URL-safe): never derived from content or order. */
export function newMessageId(): string {
  return randomBytes(15).toString('base64url');
}
