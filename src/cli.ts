import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { buildAdminBundle } from './admin/admin-bundle';
import { LoginFailuresRepository } from './auth/login-failures.repository';
import { LoginLockoutService } from './auth/login-lockout.service';
import { AppConfig } from './config';
import { dataSourceOptions } from './database/data-source-options';
import { ENTITIES } from './entities';
import { poolSettings } from './database/database.module';
import { runMigrationsLocked } from './database/migrate';
import { resolveDatabase } from './database/resolve-database';
import { AppLogger, createRootLogger } from './logging/logger';
import { configureSegmentConditionValueLimit } from './segments/condition-value-limit';
import { loadConfigOrExit } from './startup';
import { FieldProblems, FirstRunService } from './users/first-run.service';

const USAGE = `usage: npm run cli -- <command> [options]

commands:
  migrate           apply pending database migrations and exit
  bootstrap         with ALLOW_ADMIN_INITIATION_VIA_CLI=true: create the first superuser (ADMIN_EMAIL), organisation
                    (ORGANISATION_NAME) and project (PROJECT_NAME), each only if none exists yet
                    options: --email, --organisation-name, --project-name (override the variables)
  createsuperuser   create an active superuser; asks on a terminal for what is not given
                    options: --email, --password, --first-name, --last-name,
                    --no-input (never ask; without a password the account gets an unusable one and a reset link)
  unlock-user EMAIL clear the failed logins that lock an account (AXES_FAILURE_LIMIT), as the admin panel's
                    "Unlock login" does; also --email EMAIL
  task-processor    run queued jobs (webhook deliveries…) in a dedicated process, for TASK_RUN_METHOD=TASK_PROCESSOR
                    deployments; it listens on PORT for health probes and /metrics like the server
  admin-bundle      bundle the admin panel's browser components (build step; default dist/admin-bundle)
                    options: --out DIR

bootstrap, createsuperuser and unlock-user apply pending migrations first.
`;

class UsageError extends Error {}

/** `--name value` / `--name=value` / `--flag` options; positional arguments are refused. */
export function parseOptions(args: string[], known: readonly string[], flags: readonly string[] = []) {
  const values: Record<string, string> = {};
  const set = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new UsageError(`unexpected argument "${arg}"`);
    const [, name, inline] = match;
    if (flags.includes(name)) {
      set.add(name);
      continue;
    }
    if (!known.includes(name)) throw new UsageError(`unknown option --${name}`);
    const value = inline ?? args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    values[name] = value;
  }
  return { values, flags: set };
}

/** Opens the database (migrating it first when asked), runs `work`, closes everything. */
async function withDatabase<T>(
  config: AppConfig,
  logger: AppLogger,
  migrateFirst: boolean,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  configureSegmentConditionValueLimit(config.SEGMENT_CONDITION_VALUE_LIMIT);
  const db = await resolveDatabase(config, (line) => logger.notice(line, 'Database'), undefined, {
    shareRunning: true,
  });
  const dataSource = new DataSource(
    dataSourceOptions({ primary: db.primary, replicas: [] }, poolSettings(config), ENTITIES),
  );
  try {
    await dataSource.initialize();
    if (migrateFirst) {
      const applied = await runMigrationsLocked(dataSource);
      if (applied.length) logger.notice(`applied: ${applied.join(', ')}`, 'Migrate');
    }
    return await work(dataSource);
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await db.stop();
  }
}

function setup(): { config: AppConfig; logger: AppLogger } {
  const config = loadConfigOrExit();
  return { config, logger: new AppLogger(createRootLogger(config.LOG_LEVEL, config.LOG_FORMAT)) };
}

async function migrate(): Promise<void> {
  const { config, logger } = setup();
  await withDatabase(config, logger, false, async (dataSource) => {
    const applied = await runMigrationsLocked(dataSource);
    logger.notice(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations', 'Migrate');
  });
}

async function bootstrap(args: string[]): Promise<void> {
  const { values } = parseOptions(args, ['email', 'organisation-name', 'project-name']);
  const { config, logger } = setup();
  if (!config.ALLOW_ADMIN_INITIATION_VIA_CLI) {
    process.stdout.write('bootstrap: nothing done (set ALLOW_ADMIN_INITIATION_VIA_CLI=true to enable it)\n');
    return;
  }
  await withDatabase(config, logger, true, async (dataSource) => {
    const service = FirstRunService.standalone(dataSource, config);
    const result = await service.bootstrap({
      email: values.email,
      organisationName: values['organisation-name'],
      projectName: values['project-name'],
    });
    for (const line of result.lines) process.stdout.write(`bootstrap: ${line}\n`);
  });
}

/** Reads one line from the terminal; `secret` hides what is typed. */
function ask(question: string, secret = false): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stdout.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      if (secret) process.stdout.write('\n');
      resolve(answer);
    });
    muted = secret;
  });
}

async function createSuperuser(args: string[]): Promise<void> {
  const { values, flags } = parseOptions(
    args,
    ['email', 'password', 'first-name', 'last-name'],
    ['no-input'],
  );
  const interactive = !flags.has('no-input') && process.stdin.isTTY === true;
  let email: string | undefined = values.email;
  let password: string | undefined = values.password;
  if (interactive) {
    while (!email) email = (await ask('Email: ')).trim();
    while (password === undefined) {
      const first = await ask('Password: ', true);
      if (first === '') {
        process.stdout.write('A password is required (or use --no-input for a password-reset link).\n');
        continue;
      }
      if ((await ask('Password (again): ', true)) !== first) {
        process.stdout.write("Error: Your passwords didn't match.\n");
        continue;
      }
      password = first;
    }
  }
  if (!email) throw new UsageError('--email is required (no terminal to ask on)');
  const { config, logger } = setup();
  await withDatabase(config, logger, true, async (dataSource) => {
    const service = FirstRunService.standalone(dataSource, config);
    const user = await service.createSuperuser({
      email,
      password,
      firstName: values['first-name'],
      lastName: values['last-name'],
    });
    process.stdout.write(`Superuser created successfully: ${user.email}\n`);
    if (password === undefined)
      process.stdout.write(`Set the password at ${await service.passwordResetUrl(user)}\n`);
  });
}

async function unlockUser(args: string[]): Promise<void> {
  const positional = args[0] && !args[0].startsWith('--') ? args[0] : undefined;
  const { values } = parseOptions(positional ? args.slice(1) : args, ['email']);
  const email = (positional ?? values.email)?.trim();
  if (!email) throw new UsageError('unlock-user needs the email of the account');
  const { config, logger } = setup();
  await withDatabase(config, logger, true, async (dataSource) => {
    const cleared = await new LoginLockoutService(new LoginFailuresRepository(dataSource), config).unlock(
      email,
    );
    process.stdout.write(
      cleared
        ? `Unlocked ${email}: cleared failed logins from ${cleared} address(es)\n`
        : `No failed logins recorded for ${email}: nothing to unlock\n`,
    );
  });
}

async function adminBundle(args: string[]): Promise<void> {
  const { values } = parseOptions(args, ['out']);
  const started = Date.now();
  const file = await buildAdminBundle(values.out);
  process.stdout.write(`admin-bundle: wrote ${file} in ${Date.now() - started} ms\n`);
}

async function taskProcessor(): Promise<void> {
  // Sentry first, as in main.ts; serve() loads the whole application.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./instrument');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { serve } = require('./serve') as typeof import('./serve');
  await serve('task-processor');
}

/** The exit code, or undefined for a command that keeps the process running. */
async function run(argv: string[]): Promise<number | undefined> {
  const [command, ...args] = argv;
  switch (command) {
    case 'migrate':
      await migrate();
      return 0;
    case 'bootstrap':
      await bootstrap(args);
      return 0;
    case 'createsuperuser':
      await createSuperuser(args);
      return 0;
    case 'unlock-user':
      await unlockUser(args);
      return 0;
    case 'task-processor':
      parseOptions(args, []);
      // Runs until a signal stops it (the process lifecycle exits then).
      await taskProcessor();
      return undefined;
    case 'admin-bundle':
      await adminBundle(args);
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

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) process.exit(code);
    },
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`${err.message}\n${USAGE}`);
        process.exit(2);
      }
      if (err instanceof FieldProblems) {
        process.stderr.write(`Error: ${err.message}\n`);
        process.exit(1);
      }
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
