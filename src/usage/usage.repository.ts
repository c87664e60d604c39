import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { bookkeepingTransaction } from '../transaction/transaction';
import { UsageBatch } from './usage-counters';

/** Where usage counts are summed. */
export interface UsageStore {
  /** Adds a batch to the stored totals, all or nothing: after a failure none of it was added. */
  add(batch: UsageBatch): Promise<void>;
}

export const USAGE_STORE = Symbol('UsageStore');

/** api_usage_daily and feature_evaluations_daily: one batched UPSERT per table, one row per key. */
@Injectable()
export class UsageRepository implements UsageStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async add(batch: UsageBatch): Promise<void> {
    const { requests, evaluations } = batch;
    // One transaction: a failed write leaves nothing behind, so putting the counts back never counts twice.
    await bookkeepingTransaction(this.dataSource, async (manager) => {
      if (requests.length > 0) {
        await manager.query(
          `INSERT INTO api_usage_daily (environment_id, resource, day, count)
           SELECT * FROM unnest($1::int[], $2::varchar[], $3::date[], $4::bigint[])
           ON CONFLICT (environment_id, resource, day) DO UPDATE SET count = api_usage_daily.count + EXCLUDED.count`,
          [
            requests.map((r) => r.environmentId),
            requests.map((r) => r.resource),
            requests.map((r) => r.day),
            requests.map((r) => r.count),
          ],
        );
      }
      if (evaluations.length > 0) {
        await manager.query(
          `INSERT INTO feature_evaluations_daily (environment_id, feature_name, day, count)
           SELECT * FROM unnest($1::int[], $2::varchar[], $3::date[], $4::bigint[])
           ON CONFLICT (environment_id, feature_name, day)
           DO UPDATE SET count = feature_evaluations_daily.count + EXCLUDED.count`,
          [
            evaluations.map((e) => e.environmentId),
            evaluations.map((e) => e.featureName),
            evaluations.map((e) => e.day),
            evaluations.map((e) => e.count),
          ],
        );
      }
    });
  }
}
