import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import {
  encodeUid,
  hashPassword,
  makeResetToken,
  passwordProblems,
  unusablePassword,
} from '../auth/passwords';
import { APP_CONFIG, AppConfig } from '../config';
import { Organisation, OrganisationMembership } from '../organisations/organisation.entity';
import { Project } from '../projects/project.entity';
import { Site } from './site.entity';
import { User } from './user.entity';

export const INIT_REFUSED = 'CAN NOT INIT CONFIGURATION. USER(S) ALREADY EXIST IN SYSTEM.';
export const INIT_DONE = 'INSTALLATION CONFIGURED SUCCESSFULLY';
export const ADMIN_INIT_REFUSED = 'FAILED TO INIT ADMIN USER. USER(S) ALREADY EXIST IN SYSTEM.';

/** Serialises first-run writes across instances (pg_advisory_xact_lock key). */
const FIRST_RUN_LOCK = 0x666c6167; // "flag"

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

/**
 * Creating the first superuser and site settings: the first-run form (GET|POST /api/v1/users/config/init/),
 * GET /api/v1/users/init/, and the `createsuperuser` / `bootstrap` CLI commands. Built with plain constructor
 * arguments so the CLI can use it without booting the application.
 */
@Injectable()
export class FirstRunService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  async hasUsers(manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    return manager.getRepository(User).exists();
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
      const sites = manager.getRepository(Site);
      const [site] = await sites.find({ order: { id: 'ASC' }, take: 1 });
      await sites.save(
        sites.create({ ...(site ?? {}), name: input.siteName.trim(), domain: input.siteDomain.trim() }),
      );
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
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [FIRST_RUN_LOCK]);
      const exists = await manager
        .getRepository(User)
        .createQueryBuilder('u')
        .where('lower(u.email) = lower(:email)', { email: input.email })
        .getExists();
      if (exists) throw new FieldProblems({ email: ['A user with this email already exists.'] });
      return this.insertSuperuser(manager, input);
    });
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
    let resetUser: User | undefined;
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [FIRST_RUN_LOCK]);
      if (!(await this.hasUsers(manager))) {
        resetUser = await this.insertSuperuser(manager, { email });
        lines.push(`created superuser ${email}`);
      } else lines.push('superuser: skipped (users exist)');

      if (!(await manager.getRepository(Organisation).exists())) {
        const admin = await manager
          .getRepository(User)
          .createQueryBuilder('u')
          .where('lower(u.email) = lower(:email)', { email })
          .getOne();
        const orgs = manager.getRepository(Organisation);
        const org = await orgs.save(
          orgs.create({
            name: organisationName,
            persistTraitData: this.config.DEFAULT_ORG_STORE_TRAITS_VALUE,
          }),
        );
        if (admin) {
          await manager
            .getRepository(OrganisationMembership)
            .save({ userId: admin.id, organisationId: org.id, role: 'ADMIN' });
        }
        await this.audit.record(manager, {
          log: `New Organisation created: ${org.name}`,
          organisationId: org.id,
          relatedObjectType: 'ORGANISATION',
          relatedObjectId: org.id,
          relatedObjectUuid: org.uuid,
          isSystemEvent: true,
        });
        lines.push(`created organisation "${org.name}"${admin ? ` with ${admin.email} as ADMIN` : ''}`);
      } else lines.push('organisation: skipped (organisations exist)');

      if (!(await manager.getRepository(Project).exists())) {
        const org = await manager.getRepository(Organisation).findOne({
          where: { name: organisationName },
          order: { id: 'ASC' },
        });
        if (org) {
          const projects = manager.getRepository(Project);
          const project = await projects.save(projects.create({ name: projectName, organisationId: org.id }));
          await this.audit.record(manager, {
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
    });
    if (resetUser)
      lines.push(`set the password of ${resetUser.email} at ${await this.passwordResetUrl(resetUser)}`);
    return { lines };
  }

  /** `<site>/password-reset/confirm/<uid>/<token>` as the dashboard's reset page expects it. */
  async passwordResetUrl(user: User): Promise<string> {
    return `${await this.siteUrl()}/password-reset/confirm/${encodeUid(user.id)}/${makeResetToken(this.config.secretKey, user)}`;
  }

  private async siteUrl(): Promise<string> {
    const domain =
      this.config.FLAGSMITH_DOMAIN ??
      (await this.dataSource.getRepository(Site).find({ take: 1 }))[0]?.domain;
    if (!domain) return '';
    return /^https?:\/\//.test(domain) ? domain.replace(/\/$/, '') : `https://${domain}`;
  }

  /** Runs `work` only while no user exists, serialised against concurrent first runs. */
  private async firstRun<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [FIRST_RUN_LOCK]);
      if (await this.hasUsers(manager)) throw new UsersAlreadyExist();
      return work(manager);
    });
  }

  private async insertSuperuser(manager: EntityManager, input: SuperuserInput): Promise<User> {
    const users = manager.getRepository(User);
    return users.save(
      users.create({
        email: input.email.trim(),
        password: input.password === undefined ? unusablePassword() : await hashPassword(input.password),
        firstName: input.firstName ?? '',
        lastName: input.lastName ?? '',
        isSuperuser: true,
        isStaff: true,
        isActive: true,
        signUpType: 'NO_INVITE',
      }),
    );
  }
}
