/**
 * The one place that touches AdminJS's ESM-only packages. The app is CommonJS: `import()` stays a real dynamic
 * import (tsconfig module "nodenext"), and types come in with `resolution-mode: import`. Narrow casts needed
 * because AdminJS's own types are loose (or `any`) are kept in this file.
 */
import { Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type {
  Action,
  ActionContext,
  ActionRequest,
  AdminJSOptions,
  CurrentAdmin,
  ActionResponse,
  ResourceOptions,
} from 'adminjs' with { 'resolution-mode': 'import' };

import type * as AdminJSNamespace from 'adminjs' with { 'resolution-mode': 'import' };
import type * as AdminJSFastifyNamespace from '@adminjs/fastify' with { 'resolution-mode': 'import' };

export type AdminJSModule = typeof AdminJSNamespace;
export type AdminJSFastifyModule = typeof AdminJSFastifyNamespace;
export type AdminJS = InstanceType<AdminJSModule['default']>;
export type { ActionContext, ActionRequest, AdminJSOptions, CurrentAdmin, ResourceOptions };
/** A custom record action of a resource. */
export type RecordAction = Partial<Action<ActionResponse>>;

let loading: Promise<{ adminjs: AdminJSModule; fastifyPlugin: AdminJSFastifyModule }> | undefined;

/**
 * Loads AdminJS (~1-2 s, ~65 MB resident) once, on the first request for /admin (src/admin/lazy-mount.ts), and
 * says so in the log (the end-to-end tests check that a fresh server has not). A failed load is forgotten, so the
 * next request tries again.
 */
export function loadAdminJs(): Promise<{ adminjs: AdminJSModule; fastifyPlugin: AdminJSFastifyModule }> {
  const started = performance.now();
  loading ??= Promise.all([import('adminjs'), import('@adminjs/fastify')]).then(
    ([adminjs, fastifyPlugin]) => {
      new Logger('AdminPanel').log(
        `AdminJS modules imported in ${Math.round(performance.now() - started)} ms`,
      );
      return { adminjs, fastifyPlugin };
    },
    (err: unknown) => {
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

/** What we keep in the AdminJS session for a signed-in superuser. */
export interface AdminSessionUser extends CurrentAdmin {
  id: string;
  email: string;
  title: string;
}

export function sessionUserId(admin: CurrentAdmin | undefined): number | undefined {
  const id = Number(admin?.id);
  return Number.isInteger(id) && id > 0 ? id : undefined;
}

/** adminjs's `flat` helpers with plain signatures (its own types lean on an untyped dependency). */
export interface FlatHelpers {
  flatten(params: Record<string, unknown>): Record<string, unknown>;
  unflatten(params: Record<string, unknown>): Record<string, unknown>;
}

export function flatHelpers(adminjs: AdminJSModule): FlatHelpers {
  // tsc resolves `flat`'s types, typescript-eslint does not (it sees `any` and calls the cast unnecessary).
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  return adminjs.flat as unknown as FlatHelpers;
}

/** The session object @fastify/session puts on requests inside the admin plugin. */
export interface AdminSession {
  get(key: 'adminUser'): AdminSessionUser | undefined;
  set(key: 'adminUser', value: AdminSessionUser): void;
  destroy(): Promise<void>;
  save(): Promise<void>;
  /** Replaces request.session with a new one (new id), copying `keys`. */
  regenerate(keys?: string[]): Promise<void>;
}

export function sessionOf(request: object): AdminSession | undefined {
  return (request as { session?: AdminSession }).session;
}
