import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/**
 * Opens the write transactions of the organisations services; the EntityManager it hands out is only passed on
 * to repositories (and to audit/change recording), so services hold no SQL. Stands in for the unit of work.
 */
@Injectable()
export class OrganisationTransactions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run<T>(work: (db: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
