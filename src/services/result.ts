// How a service says no: a reason code, which each adapter words its own way
// (an HTTP status and Mailsac's message, a page notice, a CLI error).
export type Refusal<R> = { ok: false; reason: R };
export type Outcome<T, R> = { ok: true; value: T } | Refusal<R>;

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const refuse = <R>(reason: R): Refusal<R> => ({ ok: false, reason });
