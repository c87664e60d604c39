/**
 * Imported first by main.ts: starts Sentry (when SENTRY_SDK_DSN is set) before the HTTP server, Nest and the
 * database driver are loaded, so that its instrumentation applies to them. Only the configuration files are loaded
 * ahead of it (not the config index, which pulls in Nest). The SDK itself is required only when configured: it adds
 * about half a second to startup.
 */
import { loadConfig } from './config/app-config';
import { readEnvironment } from './config/environment';
import type { initSentry as InitSentry } from './telemetry/sentry';

function startSentry(): void {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(readEnvironment());
  } catch {
    return; // main.ts reports configuration errors
  }
  if (!config.SENTRY_SDK_DSN) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { initSentry } = require('./telemetry/sentry') as { initSentry: typeof InitSentry };
  initSentry(config);
}

startSentry();
