import { HttpException, Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../common/domain-errors';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ReplicaRouter } from './replica-router';

/** HTTP methods that do not write: only their requests may read from a replica. */
const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The only way a query reaches a read replica. Everything else reads the primary, so a caller always reads its
 * own writes (Flagsmith dropped automatic replica routing for that reason, its issue #5814). Use it only for reads
 * whose staleness (the replica's replay lag) the caller cannot observe or does not mind: the README lists them.
 *
 * - Inside a request that may write (`request.method` not GET/HEAD/OPTIONS) the read goes to the primary.
 * - A read that fails on a replica is run once more on the primary, and that replica is skipped for its back-off:
 *   a replica failure never fails a request.
 */
@Injectable()
export class ReplicaReads {
  private readonly logger = new Logger('Database');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly router: ReplicaRouter,
  ) {}

  async read<T>(
    work: (manager: EntityManager) => Promise<T>,
    request?: { readonly method: string },
  ): Promise<T> {
    if (!this.router.configured || (request && !READ_ONLY_METHODS.has(request.method)))
      return work(this.dataSource.manager);
    const runner = this.dataSource.createQueryRunner('slave');
    let client: unknown;
    try {
      client = await runner.connect();
      return await work(runner.manager);
    } catch (err) {
      const replica = this.router.replicaOf(client);
      if (replica === undefined || err instanceof HttpException || err instanceof DomainError) throw err;
      this.router.reportFailure(client, err);
      this.logger.warn(
        `a read on replica ${replica} failed (${err instanceof Error ? err.message : String(err)}); retried on the primary`,
      );
      return work(this.dataSource.manager);
    } finally {
      await runner.release().catch(() => undefined);
    }
  }
}
