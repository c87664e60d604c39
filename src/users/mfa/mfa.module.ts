import { Module } from '@nestjs/common';
import { CLOCK, systemClock } from '../../common/clock';
import { MfaRepository } from './mfa.repository';
import { MfaService } from './mfa.service';

/** Two-factor methods and the second login step, for the account routes and the admin panel's sign-in. */
@Module({
  providers: [MfaService, MfaRepository, { provide: CLOCK, useFactory: systemClock }],
  exports: [MfaService, CLOCK],
})
export class MfaModule {}
