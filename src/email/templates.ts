import { EmailMessage } from './email.service';

/** Subject, plain text and HTML of the emails the server sends (Flagsmith's wording). */
export type EmailContent = Omit<EmailMessage, 'to'>;

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function html(paragraphs: string[], link: { url: string; label: string }): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  return `<!doctype html>\n<html><body>\n${body}\n<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>\n<p>The Flagsmith Team</p>\n</body></html>\n`;
}

/** An organisation invite (Flagsmith's invite_to_org templates and INVITE_SUBJECT_WITH(OUT)_NAME). */
export function inviteEmail(orgName: string, inviterName: string | undefined, url: string): EmailContent {
  const subject = inviterName
    ? `${inviterName} has invited you to join the organisation '${orgName}' on Flagsmith`
    : `You have been invited to join the organisation '${orgName}' on Flagsmith`;
  const intro = `You have been invited to join ${orgName} on Flagsmith. Please click on the link below to accept.`;
  return {
    subject,
    text: `Hi there,\n\n${intro}\n\n${url}\n\nThe Flagsmith Team\n`,
    html: html(['Hi there,', intro], { url, label: 'Accept the invitation' }),
  };
}

export function passwordResetEmail(url: string): EmailContent {
  const intro =
    'You are receiving this email because a password reset was requested for your Flagsmith account.';
  return {
    subject: 'Password reset',
    text: `Hi,\n\n${intro}\n\nChoose a new password here:\n${url}\n\nIf you did not ask for this, ignore this email.\n\nThe Flagsmith Team\n`,
    html: html(['Hi,', intro, 'If you did not ask for this, ignore this email.'], {
      url,
      label: 'Choose a new password',
    }),
  };
}

export function activationEmail(url: string): EmailContent {
  const intro = "You're receiving this email because you need to confirm your email address with Flagsmith.";
  return {
    subject: 'Flagsmith Account Activation',
    text: `Hi,\n\n${intro}\n\nPlease click on the link below to activate your account:\n${url}\n\nThanks for using Flagsmith!\n\nThe Flagsmith Team\n`,
    html: html(['Hi,', intro, 'Please click on the link below to activate your account:'], {
      url,
      label: 'Activate Flagsmith Account',
    }),
  };
}

/** What a failed webhook delivery tells the organisation's webhook_notification_email. */
export interface WebhookFailureFacts {
  readonly url: string;
  readonly organisationName: string;
  readonly projectName: string | null;
  readonly environmentName: string | null;
  /** The last attempt's HTTP status; null when the receiver never answered. */
  readonly statusCode: number | null;
  readonly error: string;
  readonly attempts: number;
  /** The JSON body that was posted. */
  readonly body: string;
}

/** Bodies are shown in full up to this many characters. */
const FAILURE_BODY_SHOWN = 20_000;

export function webhookFailureEmail(facts: WebhookFailureFacts): EmailContent {
  let shown = facts.body;
  try {
    shown = JSON.stringify(JSON.parse(facts.body), null, 2);
  } catch {
    // not JSON after all: shown as it was sent
  }
  if (shown.length > FAILURE_BODY_SHOWN) shown = `${shown.slice(0, FAILURE_BODY_SHOWN)}\n… (cut)`;
  const where = facts.environmentName
    ? `the environment "${facts.environmentName}" of the project "${facts.projectName ?? ''}"`
    : `the organisation "${facts.organisationName}"`;
  const lines = [
    `A webhook of ${where} could not be delivered after ${facts.attempts} attempt${facts.attempts === 1 ? '' : 's'}; no further attempt will be made.`,
    `Webhook URL: ${facts.url}`,
    `HTTP status of the last attempt: ${facts.statusCode ?? 'none (no answer)'}`,
    `Error: ${facts.error}`,
  ];
  return {
    subject: 'Webhook delivery failed',
    text: `Hello,\n\n${lines.join('\n\n')}\n\nThe body that was sent:\n\n${shown}\n`,
    html: `<!doctype html>\n<html><body>\n<p>Hello,</p>\n${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}\n<p>The body that was sent:</p>\n<pre>${escapeHtml(shown)}</pre>\n</body></html>\n`,
  };
}
