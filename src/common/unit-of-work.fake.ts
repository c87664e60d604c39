import type { EntityManager } from 'typeorm';
import { RunOptions, UnitOfWork, WriteContext, WriteRecord } from './unit-of-work';

/**
 * A unit of work without a database, for service unit tests with in-memory repositories: runs the work once,
 * applies the same audit rule as UnitOfWork and keeps what each committed run recorded (`committed`). The manager
 * it hands out is a placeholder: fake repositories ignore it.
 */
export class FakeUnitOfWork {
  readonly committed: WriteRecord[] = [];

  async run<T>(work: (tx: WriteContext) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const record = new WriteRecord();
    const result = await work(record.context({} as EntityManager));
    record.assertAudited(options);
    this.committed.push(record);
    return result;
  }

  /** This fake where a service wants the real class (same public shape). */
  asUnitOfWork(): UnitOfWork {
    return this as unknown as UnitOfWork;
  }
}
