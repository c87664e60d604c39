import { DataSource } from 'typeorm';
import { dataSourceOptions } from './database/data-source-options';
import { poolSettings } from './database/database.module';
import { runMigrationsLocked } from './database/migrate';
import { resolveDatabase } from './database/resolve-database';
import { AppLogger, createRootLogger } from './logging/logger';
import { configureSegmentConditionValueLimit } from './segments/condition-value-limit';
import { loadConfigOrExit } from './startup';

const USAGE = `usage: npm run cli -- <command>

commands:
  migrate     apply pending database migrations and exit
`;

async function migrate(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = new AppLogger(createRootLogger(config.LOG_LEVEL, config.LOG_FORMAT));
  configureSegmentConditionValueLimit(config.SEGMENT_CONDITION_VALUE_LIMIT);
  const db = await resolveDatabase(config, (line) => logger.notice(line, 'Database'));
  const dataSource = new DataSource(
    dataSourceOptions({ primary: db.primary, replicas: [] }, poolSettings(config)),
  );
  try {
    await dataSource.initialize();
    const applied = await runMigrationsLocked(dataSource);
    logger.notice(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations', 'Migrate');
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await db.stop();
  }
}

async function run(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'migrate':
      await migrate();
      return 0;
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
