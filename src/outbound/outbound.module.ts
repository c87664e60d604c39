import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { AddressGuard } from './address-guard';

/** The one AddressGuard of the process, built from WEBHOOK_ALLOWED_NETWORKS; global, for every outbound caller. */
@Global()
@Module({
  providers: [
    {
      provide: AddressGuard,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new AddressGuard(config.WEBHOOK_ALLOWED_NETWORKS),
    },
  ],
  exports: [AddressGuard],
})
export class OutboundModule {}
