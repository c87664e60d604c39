import { Global, Module } from '@nestjs/common';
import { ChangeFeedModule } from '../changes/change-feed.module';
import { JobQueueRepository } from './job-queue.repository';
import { JobHandlers, JobWorker } from './job-worker.service';

/**
 * The durable job queue: JobQueueRepository (UnitOfWork inserts the jobs a write enqueues with it, see
 * `tx.enqueue`), JobHandlers (modules register the handler of each job kind) and the JobWorker that runs them.
 * Global, so any module registers handlers without importing it.
 */
@Global()
@Module({
  imports: [ChangeFeedModule],
  providers: [JobQueueRepository, JobHandlers, JobWorker],
  exports: [JobQueueRepository, JobHandlers, JobWorker],
})
export class JobsModule {}
