import { Global, Logger, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { EMAIL_TRANSPORT, EmailService, LoggingEmailService } from './email.service';
import { SiteLinks } from './site-links';
import { ConsoleTransport } from './transports/console';
import { SENDGRID_API_URL_DEFAULT, SendGridTransport } from './transports/sendgrid';
import { SesTransport } from './transports/ses';
import { SmtpTransport } from './transports/smtp';
import { EmailTransport } from './transports/transport';

/** The transport EMAIL_BACKEND asks for; null (with a warning when that is surprising) when email is off. */
export function createEmailTransport(config: AppConfig, logger = new Logger('Email')): EmailTransport | null {
  switch (config.EMAIL_BACKEND) {
    case 'smtp':
      return new SmtpTransport(config);
    case 'sendgrid':
      if (!config.SENDGRID_API_KEY) {
        logger.warn('EMAIL_BACKEND is sendgrid but SENDGRID_API_KEY is not set: emails will not be sent');
        return null;
      }
      return new SendGridTransport(
        config.SENDGRID_API_KEY,
        config.SENDGRID_API_URL ?? SENDGRID_API_URL_DEFAULT,
      );
    case 'ses':
      if (!config.AWS_ACCESS_KEY_ID || !config.AWS_SECRET_ACCESS_KEY) {
        logger.warn(
          'EMAIL_BACKEND is ses but AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set: emails will not be sent',
        );
        return null;
      }
      return new SesTransport(
        config.AWS_SES_REGION_NAME,
        config.AWS_SES_REGION_ENDPOINT,
        config.AWS_ACCESS_KEY_ID,
        config.AWS_SECRET_ACCESS_KEY,
      );
    case 'console':
      return new ConsoleTransport();
    case 'none':
    default:
      return null;
  }
}

@Global()
@Module({
  providers: [
    {
      provide: EMAIL_TRANSPORT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => createEmailTransport(config),
    },
    LoggingEmailService,
    { provide: EmailService, useExisting: LoggingEmailService },
    SiteLinks,
  ],
  exports: [EmailService, LoggingEmailService, SiteLinks],
})
export class EmailModule {}
