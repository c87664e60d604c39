import { Injectable, Logger } from '@nestjs/common';

export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/**
 * Outgoing email. Inject `EmailService` and call `send()`; failures are the implementation's to log, callers do
 * not fail a request because an email could not be sent. The real transports (SMTP/SendGrid/SES per
 * EMAIL_BACKEND) replace LoggingEmailService in EmailModule.
 */
export abstract class EmailService {
  abstract send(message: EmailMessage): Promise<void>;
}

/** Logs each message (subject and recipient at info level) and keeps the last 100 in `outbox` (tests read it). */
@Injectable()
export class LoggingEmailService extends EmailService {
  private readonly logger = new Logger('Email');
  readonly outbox: EmailMessage[] = [];

  async send(message: EmailMessage): Promise<void> {
    this.outbox.push(message);
    if (this.outbox.length > 100) this.outbox.shift();
    this.logger.log(`email "${message.subject}" to ${message.to} (no email transport configured)`);
  }
}
