import { Global, Module } from '@nestjs/common';
import { EmailService, LoggingEmailService } from './email.service';

@Global()
@Module({
  providers: [LoggingEmailService, { provide: EmailService, useExisting: LoggingEmailService }],
  exports: [EmailService, LoggingEmailService],
})
export class EmailModule {}
