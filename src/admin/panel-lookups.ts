import { DataSource } from 'typeorm';
import { Environment } from '../environments/environment.entity';
import { Identity } from '../identities/identity.entity';
import { Project } from '../projects/project.entity';
import { AdminWriteError } from './admin-writer';

/**
 * The parent objects a panel form names by id, loaded as the API's routes load them (the route's guard hands the
 * service its project or environment): a missing one is a form error on the field that named it.
 */
export async function projectOf(
  dataSource: DataSource,
  id: number | undefined,
  field = 'projectId',
): Promise<Project> {
  const project = id === undefined ? null : await dataSource.getRepository(Project).findOneBy({ id });
  if (!project) throw new AdminWriteError({ [field]: id === undefined ? 'Required.' : 'No such project.' });
  return project;
}

/** The environment with its project (what the services' audit entries need). */
export async function environmentOf(
  dataSource: DataSource,
  id: number | undefined,
  field = 'environmentId',
): Promise<Environment> {
  const environment =
    id === undefined
      ? null
      : await dataSource.getRepository(Environment).findOne({ where: { id }, relations: { project: true } });
  if (!environment)
    throw new AdminWriteError({ [field]: id === undefined ? 'Required.' : 'No such environment.' });
  return environment;
}

export async function identityOf(
  dataSource: DataSource,
  id: number | undefined,
  field = 'identityId',
): Promise<Identity> {
  const identity = id === undefined ? null : await dataSource.getRepository(Identity).findOneBy({ id });
  if (!identity) throw new AdminWriteError({ [field]: id === undefined ? 'Required.' : 'No such identity.' });
  return identity;
}
