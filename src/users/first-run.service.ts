import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import {
  encodeUid,
  hashPassword,
  makeResetToken,
  passwordProblems,
  unusablePassword,
} from '../auth/passwords';
import {
  EnvironmentChanges,
  JobQueue,
  UnitOfWork,
  WriteContext,
  NO_AUDIT_FOLLOWERS,
} from '../common/unit-of-work';
import { APP_CONFIG, AppConfig } from '../config';
import { FirstRunRepository } from './first-run.repository';
import { User } from './user.entity';

export const INIT_REFUSED = 'CAN NOT INIT CONFIGURATION. USER(S) ALREADY EXIST IN SYSTEM.';
export const INIT_DONE = 'INSTALLATION CONFIGURED SUCCESSFULLY';
export const ADMIN_INIT_REFUSED = 'FAILED TO INIT ADMIN USER. USER(S) ALREADY EXIST IN SYSTEM.';

export class UsersAlreadyExist extends Error {
  constructor() {
    super(INIT_REFUSED);
  }
}

export class FieldProblems extends Error {
  constructor(readonly errors: Record<string, string[]>) {
    super(
      Object.entries(errors)
        .map(([field, messages]) => `${field}: ${messages.join(' ')}`)
        .join('; '),
    );
  }
}

export interface SuperuserInput {
  email: string;
  /** Omitted = unusable password (set it through the password-reset link). */
  password?: string;
  firstName?: string;
  lastName?: string;
}

export interface BootstrapResult {
  readonly lines: string[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SUPERUSER_UNAUDITED = 'user accounts and site settings are not audited, as in Flagsmith';

/** The CLI's writes create no environment: nothing for caches or SSE to hear about. */
const NO_ENVIRONMENT_CHANGES: EnvironmentChanges = {
  environmentsChanged: () => Promise.reject(new Error('the first run changes no environment')),
  projectChanged: () => Promise.reject(new Error('the first run changes no environment')),
  identitiesChanged: () => Promise.reject(new Error('the first run changes no identity')),
  environmentsDeleted: () => Promise.reject(new Error('the first run deletes no environment')),
  keysChanged: () => Promise.reject(new Error('the first run changes no server key')),
};
const NO_JOBS: JobQueue = {
  enqueue: () => Promise.reject(new Error('the first run enqueues no job')),
};

/**
 * Creating the first superuser and site settings: the first-run form (GET|POST /api/v1/users/config/init/),
 * GET /api/v1/users/init/, and the `createsuperuser` / `bootstrap` CLI commands (see `standalone`).
 */
@Injectable()
export class FirstRunService {
  constructor(
    private readonly repository: FirstRunRepository,
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** For the CLI, without booting the application. */
  static standalone(dataSource: DataSource, config: AppConfig): FirstRunService {
    return new FirstRunService(
      new FirstRunRepository(dataSource),
      new UnitOfWork(dataSource, new AuditService(), NO_ENVIRONMENT_CHANGES, NO_JOBS, NO_AUDIT_FOLLOWERS),
      config,
    );
  }

  hasUsers(): Promise<boolean> {
    return this.repository.hasUsers();
  }

  /** Checks a superuser's fields; returns DRF-style errors. */
  problems(input: SuperuserInput): Record<string, string[]> {
    const errors: Record<string, string[]> = {};
    if (!EMAIL.test(input.email) || input.email.length > 254) errors.email = ['Enter a valid email address.'];
    if (input.password !== undefined) {
      const problems = passwordProblems(input.password, input.email);
      if (problems.length) errors.password = problems;
    }
    return errors;
  }

  /** The first-run form: site settings + the superuser, only while no user exists. */
  async initConfiguration(
    input: SuperuserInput & { siteName: string; siteDomain: string },
  ): Promise<{ user: User; passwordResetUrl: string }> {
    const errors = this.problems(input);
    if (!input.siteName.trim() || input.siteName.length > 50)
      errors.site_name = ['Ensure this field has 1 to 50 characters.'];
    if (!input.siteDomain.trim() || input.siteDomain.length > 100)
      errors.site_domain = ['Ensure this field has 1 to 100 characters.'];
    if (Object.keys(errors).length) throw new FieldProblems(errors);
    const user = await this.firstRun(async (manager) => {
      await this.repository.saveSite(manager, input.siteName.trim(), input.siteDomain.trim());
      return this.insertSuperuser(manager, input);
    });
    return { user, passwordResetUrl: await this.passwordResetUrl(user) };
  }

  /** GET /api/v1/users/init/: the ADMIN_EMAIL superuser, only while no user exists. */
  async initAdmin(): Promise<{ user: User; passwordResetUrl: string }> {
    const user = await this.firstRun((manager) =>
      this.insertSuperuser(manager, { email: this.config.ADMIN_EMAIL }),
    );
    return { user, passwordResetUrl: await this.passwordResetUrl(user) };
  }

  /** `createsuperuser`: a new active superuser (any number of users may exist). */
  async createSuperuser(input: SuperuserInput): Promise<User> {
    const errors = this.problems(input);
    if (Object.keys(errors).length) throw new FieldProblems(errors);
    return this.uow.run(
      async ({ manager }) => {
        await this.repository.lockFirstRun(manager);
        if (await this.repository.userByEmail(manager, input.email))
          throw new FieldProblems({ email: ['A user with this email already exists.'] });
        return this.insertSuperuser(manager, input);
      },
      { unaudited: SUPERUSER_UNAUDITED },
    );
  }

  /**
   * `bootstrap` (docs/contracts/admin-api.md §2): with ALLOW_ADMIN_INITIATION_VIA_CLI, in order and each only when not done yet:
   * the superuser (no users), the organisation (no organisations) with that superuser as ADMIN, the project (no
   * projects, and the organisation of that name exists).
   */
  async bootstrap(options: {
    email?: string;
    organisationName?: string;
    projectName?: string;
  }): Promise<BootstrapResult> {
    const lines: string[] = [];
    if (!this.config.ALLOW_ADMIN_INITIATION_VIA_CLI) {
      lines.push('bootstrap skipped: ALLOW_ADMIN_INITIATION_VIA_CLI is not true');
      return { lines };
    }
    const email = options.email ?? this.config.ADMIN_EMAIL;
    const organisationName = options.organisationName ?? this.config.ORGANISATION_NAME;
    const projectName = options.projectName ?? this.config.PROJECT_NAME;
    const errors = this.problems({ email });
    if (Object.keys(errors).length) throw new FieldProblems(errors);
    // Unaudited when it only creates the superuser (or nothing); the organisation and project are audited.
    const resetUser = await this.uow.run(
      (tx) => this.bootstrapIn(tx, email, organisationName, projectName, lines),
      { unaudited: SUPERUSER_UNAUDITED },
    );
    if (resetUser)
      lines.push(`set the password of ${resetUser.email} at ${await this.passwordResetUrl(resetUser)}`);
    return { lines };
  }

  private async bootstrapIn(
    tx: WriteContext,
    email: string,
    organisationName: string,
    projectName: string,
    lines: string[],
  ): Promise<User | undefined> {
    const { manager } = tx;
    lines.length = 0; // a retried run starts over
    let superuser: User | undefined;
    await this.repository.lockFirstRun(manager);
    if (!(await this.repository.hasUsers(manager))) {
      superuser = await this.insertSuperuser(manager, { email });
      lines.push(`created superuser ${email}`);
    } else lines.push('superuser: skipped (users exist)');

    if (!(await this.repository.hasOrganisations(manager))) {
      const admin = await this.repository.userByEmail(manager, email);
      const org = await this.repository.insertOrganisation(
        manager,
        organisationName,
        this.config.DEFAULT_ORG_STORE_TRAITS_VALUE,
      );
      if (admin) await this.repository.addAdmin(manager, org.id, admin.id);
      tx.audit({
        log: `New Organisation created: ${org.name}`,
        organisationId: org.id,
        relatedObjectType: 'ORGANISATION',
        relatedObjectId: org.id,
        relatedObjectUuid: org.uuid,
        isSystemEvent: true,
      });
      lines.push(`created organisation "${org.name}"${admin ? ` with ${admin.email} as ADMIN` : ''}`);
    } else lines.push('organisation: skipped (organisations exist)');

    if (!(await this.repository.hasProjects(manager))) {
      const org = await this.repository.firstOrganisationNamed(manager, organisationName);
      if (org) {
        const project = await this.repository.insertProject(manager, projectName, org.id);
        tx.audit({
          log: `New Project created: ${project.name}`,
          organisationId: org.id,
          projectId: project.id,
          relatedObjectType: 'PROJECT',
          relatedObjectId: project.id,
          relatedObjectUuid: project.uuid,
          isSystemEvent: true,
        });
        lines.push(`created project "${project.name}" in "${org.name}"`);
      } else lines.push(`project: skipped (no organisation named "${organisationName}")`);
    } else lines.push('project: skipped (projects exist)');
    return superuser;
  }

  /** `<site>/password-reset/confirm/<uid>/<token>` as the dashboard's reset page expects it. */
  async passwordResetUrl(user: User): Promise<string> {
    return `${await this.siteUrl()}/password-reset/confirm/${encodeUid(user.id)}/${makeResetToken(this.config.secretKey, user)}`;
  }

  private async siteUrl(): Promise<string> {
    const domain = this.config.FLAGSMITH_DOMAIN ?? (await this.repository.siteDomain());
    if (!domain) return '';
    return /^https?:\/\//.test(domain) ? domain.replace(/\/$/, '') : `https://${domain}`;
  }

  /** Runs `work` only while no user exists, serialised against concurrent first runs. */
  private async firstRun<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.uow.run(
      async ({ manager }) => {
        await this.repository.lockFirstRun(manager);
        if (await this.repository.hasUsers(manager)) throw new UsersAlreadyExist();
        return work(manager);
      },
      { unaudited: SUPERUSER_UNAUDITED },
    );
  }

  private async insertSuperuser(manager: EntityManager, input: SuperuserInput): Promise<User> {
    return this.repository.insertUser(manager, {
      email: input.email.trim(),
      password: input.password === undefined ? unusablePassword() : await hashPassword(input.password),
      firstName: input.firstName ?? '',
      lastName: input.lastName ?? '',
      isSuperuser: true,
      isStaff: true,
      isActive: true,
      signUpType: 'NO_INVITE',
    });
  }
}
