import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CacheHealthModule } from '../cache/cache-health';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { RootController } from './root.controller';
import { VersionController } from './version.controller';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty', logger: false }), CacheHealthModule],
  controllers: [HealthController, RootController, VersionController],
  providers: [HealthService],
})
export class HealthModule {}
