import { Injectable } from '@nestjs/common';
import { ReplicaReads } from '../database/replica-reads';

export interface InstallCounts {
  readonly organisations: number;
  readonly projects: number;
  readonly environments: number;
  readonly features: number;
  readonly segments: number;
  readonly users: number;
}

/**
 * The install-wide counts of the startup report. Entities by name (src/entities.ts registers them): telemetry sits
 * below the domains it counts, since http reports errors through it.
 */
@Injectable()
export class InstallCountsRepository {
  constructor(private readonly replicaReads: ReplicaReads) {}

  /** Read on a replica: for an outside report, a replica's lag is invisible. */
  counts(): Promise<InstallCounts> {
    return this.replicaReads.read(async (manager) => {
      // One after another: the manager is one replica connection, which runs one query at a time.
      const count = (entity: string) => manager.getRepository(entity).count();
      return {
        organisations: await count('Organisation'),
        projects: await count('Project'),
        environments: await count('Environment'),
        features: await count('Feature'),
        segments: await count('Segment'),
        users: await count('User'),
      };
    });
  }
}
