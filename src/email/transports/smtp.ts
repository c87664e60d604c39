import { createTransport, Transporter } from 'nodemailer';
import { AppConfig } from '../../config';
import { EmailTransport, OutgoingEmail } from './transport';

/**
 * SMTP through nodemailer, with Django's meaning of the settings: EMAIL_USE_TLS = STARTTLS required,
 * EMAIL_USE_SSL = implicit TLS (wins when both are set), neither = plain SMTP (no opportunistic STARTTLS).
 */
export class SmtpTransport implements EmailTransport {
  readonly description: string;
  private readonly transporter: Transporter;

  constructor(config: AppConfig) {
    const ssl = config.EMAIL_USE_SSL;
    const tls = !ssl && config.EMAIL_USE_TLS;
    this.description = `smtp ${config.EMAIL_HOST}:${config.EMAIL_PORT}${ssl ? ' (SSL)' : tls ? ' (STARTTLS)' : ''}`;
    this.transporter = createTransport({
      host: config.EMAIL_HOST,
      port: config.EMAIL_PORT,
      secure: ssl,
      requireTLS: tls,
      ignoreTLS: !ssl && !tls,
      auth: config.EMAIL_HOST_USER
        ? { user: config.EMAIL_HOST_USER, pass: config.EMAIL_HOST_PASSWORD ?? '' }
        : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  async send(message: OutgoingEmail): Promise<void> {
    await this.transporter.sendMail({
      from: message.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      ...(message.html ? { html: message.html } : {}),
    });
  }

  close(): void {
    this.transporter.close();
  }
}
