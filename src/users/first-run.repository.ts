import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Organisation, OrganisationMembership } from '../organisations/organisation.entity';
import { Project } from '../projects/project.entity';
import { Site } from './site.entity';
import { User } from './user.entity';

/** Serialises first-run writes across instances (pg_advisory_xact_lock key). */
const FIRST_RUN_LOCK = 0x666c6167; // "flag"

/** Every SQL statement of the first run: the site row, the first superuser, organisation and project. */
@Injectable()
export class FirstRunRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Waits for (and holds until the transaction ends) the first-run lock. */
  async lockFirstRun(manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [FIRST_RUN_LOCK]);
  }

  hasUsers(manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    return manager.getRepository(User).exists();
  }

  userByEmail(manager: EntityManager, email: string): Promise<User | null> {
    return manager
      .getRepository(User)
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
  }

  insertUser(
    manager: EntityManager,
    fields: Partial<User> & { email: string; password: string },
  ): Promise<User> {
    const users = manager.getRepository(User);
    return users.save(users.create(fields));
  }

  /** Sets the name and domain of the one site row (created when missing). */
  async saveSite(manager: EntityManager, name: string, domain: string): Promise<void> {
    const sites = manager.getRepository(Site);
    const [site] = await sites.find({ order: { id: 'ASC' }, take: 1 });
    await sites.save(sites.create({ ...(site ?? {}), name, domain }));
  }

  async siteDomain(): Promise<string | undefined> {
    return (await this.dataSource.getRepository(Site).find({ take: 1 }))[0]?.domain;
  }

  hasOrganisations(manager: EntityManager): Promise<boolean> {
    return manager.getRepository(Organisation).exists();
  }

  insertOrganisation(manager: EntityManager, name: string, persistTraitData: boolean): Promise<Organisation> {
    const orgs = manager.getRepository(Organisation);
    return orgs.save(orgs.create({ name, persistTraitData }));
  }

  async addAdmin(manager: EntityManager, organisationId: number, userId: number): Promise<void> {
    await manager.getRepository(OrganisationMembership).save({ userId, organisationId, role: 'ADMIN' });
  }

  hasProjects(manager: EntityManager): Promise<boolean> {
    return manager.getRepository(Project).exists();
  }

  firstOrganisationNamed(manager: EntityManager, name: string): Promise<Organisation | null> {
    return manager.getRepository(Organisation).findOne({ where: { name }, order: { id: 'ASC' } });
  }

  insertProject(manager: EntityManager, name: string, organisationId: number): Promise<Project> {
    const projects = manager.getRepository(Project);
    return projects.save(projects.create({ name, organisationId }));
  }
}
