import { Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { ChangeFeed } from './change-feed';
import { CHANGE_CHANNELS } from './channels';
import { pgListenConnector } from './pg-listen';

/** The primary's URL: NOTIFY is sent on the primary, and a replica does not relay it. */
function primaryUrl(dataSource: DataSource): string {
  const options = dataSource.options as PostgresConnectionOptions;
  const url = options.replication?.master.url ?? options.url;
  if (!url) throw new Error('the database has no connection URL');
  return url;
}

/**
 * Provides THE change feed (one LISTEN connection per instance) to whoever subscribes: SDK caches, real-time
 * streams, which import this module (Nest makes one instance of it). Subscribe in `onModuleInit` (or earlier):
 * the feed connects at application bootstrap.
 */
@Module({
  providers: [
    {
      provide: ChangeFeed,
      inject: [getDataSourceToken()],
      useFactory: (dataSource: DataSource) =>
        new ChangeFeed(CHANGE_CHANNELS, pgListenConnector(primaryUrl(dataSource)), new Logger('ChangeFeed')),
    },
  ],
  exports: [ChangeFeed],
})
export class ChangeFeedModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly feed: ChangeFeed) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.feed.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.feed.stop();
  }
}
