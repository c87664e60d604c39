import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AdminJSModule } from './adminjs';

/**
 * The admin panel's browser bundle of our own components (the sign-in page). AdminJS bundles them with
 * rollup + babel, which takes seconds, so it is done either at build time (`npm run cli -- admin-bundle`, run
 * after `nest build`, writes dist/admin-bundle/) or, when no prebuilt bundle exists, into ADMIN_JS_TMP_DIR:
 * in production in the background once the panel has loaded (first request for /admin), otherwise on the first
 * request for it.
 */
export const PREBUILT_BUNDLE_DIR = resolve(__dirname, '../../admin-bundle');

/** The component sources: beside this file when running from src/, in the repository's src/ from dist/. */
export function loginComponentPath(): string | undefined {
  return componentPath('login.jsx');
}

function componentPath(file: string): string | undefined {
  const candidates = [
    join(__dirname, 'components', file),
    resolve(__dirname, '../../../src/admin/components', file),
  ];
  return candidates.find((candidate) => existsSync(candidate));
}

/** The user resource's "Unlock login" action page (src/admin/components/unlock-login.jsx). */
export const UNLOCK_LOGIN_COMPONENT = 'UnlockLogin';

export interface BundlePlan {
  /** Where AdminJS reads (and, when not prebuilt, writes) entry.js / bundle.js. */
  readonly dir: string;
  readonly prebuilt: boolean;
}

export function planBundle(tmpDir: string): BundlePlan {
  if (existsSync(join(PREBUILT_BUNDLE_DIR, 'bundle.js'))) return { dir: PREBUILT_BUNDLE_DIR, prebuilt: true };
  return { dir: resolve(tmpDir), prebuilt: false };
}

/**
 * AdminJS reads ADMIN_JS_TMP_DIR and NODE_ENV from the process environment when its modules load, so they are
 * set here, before the first `import('adminjs')`. ADMIN_JS_SKIP_BUNDLE stops AdminJS's own start-up bundling:
 * we decide when to bundle.
 */
export function prepareAdminJsEnvironment(plan: BundlePlan): void {
  process.env.ADMIN_JS_TMP_DIR = plan.dir;
  process.env.ADMIN_JS_SKIP_BUNDLE = 'true';
  if (!plan.prebuilt) mkdirSync(plan.dir, { recursive: true });
}

/** Registers our components with AdminJS (needed only when bundling). */
export function componentLoader(adminjs: AdminJSModule, required: boolean) {
  const loader = new adminjs.ComponentLoader();
  const login = loginComponentPath();
  if (login) loader.override('Login', login);
  else if (required)
    throw new Error('src/admin/components/login.jsx not found: cannot bundle the admin panel');
  const unlock = componentPath('unlock-login.jsx');
  if (unlock) loader.add(UNLOCK_LOGIN_COMPONENT, unlock);
  else if (required)
    throw new Error('src/admin/components/unlock-login.jsx not found: cannot bundle the admin panel');
  return loader;
}

/** adminjs/bundler (exported by the package, without types). */
interface AdminJsBundler {
  componentsBundler: { createEntry(o: { content: string }): Promise<void>; build(): Promise<void> };
  generateUserComponentEntry(admin: unknown, entryPath: string): string;
}

/** Writes entry.js and bundle.js into ADMIN_JS_TMP_DIR (set by prepareAdminJsEnvironment) with AdminJS's bundler. */
export async function bundleComponents(admin: unknown, dir: string): Promise<void> {
  const specifier = 'adminjs/bundler';
  const bundler = (await import(specifier)) as AdminJsBundler;
  await bundler.componentsBundler.createEntry({ content: bundler.generateUserComponentEntry(admin, dir) });
  await bundler.componentsBundler.build();
}

/** `npm run cli -- admin-bundle [dir]`: the build-time bundle (minified). */
export async function buildAdminBundle(outDir = PREBUILT_BUNDLE_DIR): Promise<string> {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  process.env.ADMIN_JS_TMP_DIR = dir;
  process.env.NODE_ENV = process.env.NODE_ENV ?? 'production';
  const adminjs = await import('adminjs');
  const admin = new adminjs.default({ rootPath: '/admin', componentLoader: componentLoader(adminjs, true) });
  await bundleComponents(admin, dir);
  return join(dir, 'bundle.js');
}
