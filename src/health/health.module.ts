import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CacheHealthModule } from '../cache/cache-health';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { VersionController } from './version.controller';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty', logger: false }), CacheHealthModule],
  controllers: [HealthController, VersionController],
  providers: [HealthService],
})
export class HealthModule {}
