import { AppConfig, ConfigError, loadConfig, readEnvironment } from './config';
import { AppLogger } from './logging/logger';

/** Loads the configuration or exits with one line naming the bad variable. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig(readEnvironment());
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`flagport: invalid configuration: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export function announceConfig(config: AppConfig, logger: AppLogger): void {
  if (config.secretKeyGenerated) {
    logger.alert(
      'DJANGO_SECRET_KEY is not set: generated a random one for this process. Sessions, OAuth state and reset links ' +
        'will not survive a restart or work across instances. Set DJANGO_SECRET_KEY to a long random value.',
      'Config',
    );
  }
  if (config.ignoredVariablesSet.length > 0) {
    logger.notice(
      `ignored (Django/gunicorn-only) settings: ${config.ignoredVariablesSet.join(', ')}`,
      'Config',
    );
  }
}
