import { Injectable } from '@nestjs/common';
import { ReplicaReads } from '../database/replica-reads';
import { Environment } from '../environments/environment.entity';
import { Feature } from '../features/feature.entity';
import { Organisation } from '../organisations/organisation.entity';
import { Project } from '../projects/project.entity';
import { Segment } from '../segments/segment.entity';
import { User } from '../users/user.entity';

export interface InstallCounts {
  readonly organisations: number;
  readonly projects: number;
  readonly environments: number;
  readonly features: number;
  readonly segments: number;
  readonly users: number;
}

/** The install-wide counts of the startup report. */
@Injectable()
export class InstallCountsRepository {
  constructor(private readonly replicaReads: ReplicaReads) {}

  /** Read on a replica: for an outside report, a replica's lag is invisible. */
  counts(): Promise<InstallCounts> {
    return this.replicaReads.read(async (manager) => {
      // One after another: the manager is one replica connection, which runs one query at a time.
      const count = (entity: new () => object) => manager.getRepository(entity).count();
      return {
        organisations: await count(Organisation),
        projects: await count(Project),
        environments: await count(Environment),
        features: await count(Feature),
        segments: await count(Segment),
        users: await count(User),
      };
    });
  }
}
