// Rules about accounts that every door (API, pages, CLI) must agree on
// (issue 10 part 3): what a password must be, which names a stranger may
// register, and that the last admin stays an admin.
import { USERNAME, type Role } from '../store/users.js';

/** The user the operator's admin key acts as (principal.ts creates it). */
export const ADMIN_USERNAME = 'admin';

/** Names nobody may register for themselves: they would look like the operator. */
const RESERVED_NAMES = new Set([ADMIN_USERNAME, 'administrator', 'root', 'postmaster', 'mailroom', 'system']);

export const PASSWORD_MIN = 10;
/** scrypt hashes any length, but a megabyte password is a denial of service, not a secret. */
export const PASSWORD_MAX = 1024;

export type PasswordProblem = 'too-short' | 'too-long';

export function passwordProblem(password: string): PasswordProblem | null {
  if (password.length < PASSWORD_MIN) return 'too-short';
  if (password.length > PASSWORD_MAX) return 'too-long';
  return null;
}

/** Whether a visitor may register this name (the operator, through the CLI, may use any well-formed one). */
export function registrableName(name: string): boolean {
  return USERNAME.test(name) && !RESERVED_NAMES.has(name.toLowerCase());
}

/**
 * Taking the admin role from, or deleting, the only admin would leave
 * nobody able to manage the appliance (the admin key's own user aside).
 */
export function removesLastAdmin(user: { role: Role }, adminCount: number): boolean {
  return user.role === 'admin' && adminCount <= 1;
}

/** How long a web session lives without use (auth.sessionHours, sliding). */
export function sessionTtlMs(config: { auth: { sessionHours: number } }): number {
  return config.auth.sessionHours * 3600_000;
}

/** Longest a session lives from sign-in however often it is used: 30 days, or the idle TTL if that is longer. */
export function sessionMaxAgeMs(config: { auth: { sessionHours: number } }): number {
  return Math.max(30 * 24 * 3600_000, sessionTtlMs(config));
}
