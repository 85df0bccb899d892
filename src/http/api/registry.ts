// Every API route is registered through ApiRegistry, which both mounts it on
// Hono and records what it is (method, path, parameters, summary). The
// OpenAPI description at /api/openapi.json is built from those records, so it
// cannot drift from what is actually served (issue 3: "generated from the
// route definitions").
import type { Context, Handler, Hono, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../deps.js';
import type { InboxMode } from '../middleware/inbox-guard.js';
import type { SchemaName } from './schemas.js';

export type Method = 'get' | 'post' | 'put' | 'delete';

export interface ParamDoc {
  name: string;
  type: 'string' | 'integer' | 'boolean';
  description?: string;
  required?: boolean;
  enum?: string[];
}

/** Who may call a route: anyone (inbox rules decide), any key holder, or admins. */
export type AuthLevel = 'inbox' | 'key' | 'admin' | 'none';

export interface RouteDoc {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: AuthLevel;
  query?: ParamDoc[];
  /** Descriptions of path parameters, by name; the names themselves come from the path. */
  pathDocs?: Record<string, string>;
  /** JSON body fields, name -> type and description. */
  body?: Record<string, { type: string; description?: string; items?: string }>;
  /** Status -> description; content type of the 200 when not JSON. */
  responses: Record<string, string>;
  produces?: string;
  /** Schema name (components/schemas) of the JSON 200 answer. */
  returns?: SchemaName;
  /** auth 'inbox' with an {email}: the rights needed; default read for GET, write otherwise. */
  inboxMode?: InboxMode;
}

export interface RecordedRoute extends RouteDoc {
  method: Method;
  /** Hono form, with :params. */
  path: string;
  pathParams: string[];
}

export class ApiRegistry {
  readonly routes: RecordedRoute[] = [];

  /** inboxGuard: the middleware that decides an {email} route's access before its handler (middleware/inbox-guard.ts). */
  constructor(
    private readonly app: Hono<AppEnv>,
    private readonly inboxGuard?: (mode: InboxMode) => MiddlewareHandler<AppEnv>,
  ) {}

  route(method: Method, path: string, doc: RouteDoc, handler: (c: Context<AppEnv>) => Response | Promise<Response>): void {
    const pathParams = [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
    this.routes.push({ ...doc, method, path, pathParams });
    if (doc.auth === 'inbox' && pathParams.includes('email') && this.inboxGuard) {
      const mode = doc.inboxMode ?? (method === 'get' ? 'read' : 'write');
      this.app.on(method.toUpperCase(), path, this.inboxGuard(mode), handler as Handler<AppEnv>);
    } else {
      this.app.on(method.toUpperCase(), path, handler as Handler<AppEnv>);
    }
  }
}
