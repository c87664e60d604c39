import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CacheHealthModule } from '../cache/cache-health';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty', logger: false }), CacheHealthModule],
  controllers: [HealthController],
  providers: [HealthService],
})
export class HealthModule {}
