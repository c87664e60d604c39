import { Logger } from '@nestjs/common';
import { EmailTransport, OutgoingEmail } from './transport';

/** Django's console backend: the whole message goes to the log instead of a mail server. */
export class ConsoleTransport implements EmailTransport {
  readonly description = 'console';
  private readonly logger = new Logger('Email');

  async send(message: OutgoingEmail): Promise<void> {
    this.logger.log(
      `From: ${message.from}\nTo: ${message.to}\nSubject: ${message.subject}\n\n${message.text}`,
    );
  }
}
