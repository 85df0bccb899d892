// The asynchronous reads that resolve who is asking (issue 14): what the
// principal middleware (http/middleware/principal.ts) needs per request,
// behind one interface for both engines (sqlite-principal-reader.ts,
// pg/principal-reader.ts). Shapes and rules are ApiKeyStore's,
// SessionStore's and UserStore's, so converting the middleware is
// `store.keys.findByHash(h)` → `await principals.keyByHash(h)`. Contract
// tests: test/store/principal-reader-contract.ts.
import type { ApiKey } from './api-keys.js';
import type { Session } from './sessions.js';
import type { User } from './users.js';

export interface PrincipalReader {
  /** The valid (not revoked) key with this hash (hashKey of the presented key). */
  keyByHash(hash: string): Promise<ApiKey | null>;
  /** Records the key's use, at most once a minute (KEY_TOUCH_MS), so reads do not each cost a write. */
  touchKey(key: ApiKey): Promise<void>;
  /**
   * The live session for a cookie value: null for a malformed token, an
   * unknown one, or one past its expiry or its maximum age (which is then
   * deleted); sliding expiry renewed at most once a minute, never past
   * created + maxAgeMs. SessionStore.get.
   */
  session(token: string, ttlMs: number, maxAgeMs?: number): Promise<Session | null>;
  userById(id: number): Promise<User | null>;
}
