import { AppConfig } from '../config';
import { OAuthProvider } from './oauth-state';

/** Who the provider says the user is, in one shape for GitHub and Google, token exchange and redirect flow alike. */
export interface ProviderProfile {
  readonly provider: OAuthProvider;
  /** The provider's stable user id (GitHub numeric id, Google `sub`). */
  readonly id: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
}

/**
 * The provider could not be used: unreachable, an error status, a malformed answer, a refused code, or an account
 * without a verified email. `reason` is logged; `userDetail` (when set) is safe and useful to show the user.
 */
export class OAuthProviderError extends Error {
  constructor(
    readonly provider: OAuthProvider,
    reason: string,
    readonly userDetail?: string,
  ) {
    super(reason);
    this.name = 'OAuthProviderError';
  }
}

export const GITHUB_OAUTH_BASE_URL_DEFAULT = 'https://github.com/login/oauth';
export const GITHUB_API_BASE_URL_DEFAULT = 'https://api.github.com';
const GOOGLE_USERINFO_URL_DEFAULT = 'https://www.googleapis.com/oauth2/v3/userinfo';
const PROVIDER_TIMEOUT_MS = 10_000;
const USER_AGENT = 'flagport';
const NAME_MAX = 150;

export const NO_VERIFIED_GITHUB_EMAIL = 'Your GitHub account has no verified primary email address.';
export const NO_VERIFIED_GOOGLE_EMAIL = 'Your Google account email address is not verified.';

const trimSlash = (url: string): string => url.replace(/\/+$/, '');
export const githubOAuthBase = (config: AppConfig): string =>
  trimSlash(config.GITHUB_OAUTH_BASE_URL ?? GITHUB_OAUTH_BASE_URL_DEFAULT);
export const githubApiBase = (config: AppConfig): string =>
  trimSlash(config.GITHUB_API_BASE_URL ?? GITHUB_API_BASE_URL_DEFAULT);
export const googleUserinfoUrl = (config: AppConfig): string =>
  config.GOOGLE_USERINFO_URL ?? GOOGLE_USERINFO_URL_DEFAULT;

/** Flagsmith splits a GitHub display name in two only when it has exactly two words. */
export function splitFullName(full: unknown): [string, string] {
  if (typeof full !== 'string' || !full.trim()) return ['', ''];
  const parts = full.trim().split(' ');
  const [first, last] = parts.length === 2 ? parts : [full.trim(), ''];
  return [first.slice(0, NAME_MAX), last.slice(0, NAME_MAX)];
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** Accepts `true` or `"true"` (Google has sent both over the years). */
const isTrue = (value: unknown): boolean => value === true || value === 'true';

async function request(
  provider: OAuthProvider,
  what: string,
  url: string,
  init: RequestInit,
): Promise<{ status: number; text: string; contentType: string }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    throw new OAuthProviderError(provider, `${what}: request to ${new URL(url).origin} failed (${cause})`);
  }
  const text = await res.text().catch(() => '');
  if (res.status !== 200) throw new OAuthProviderError(provider, `${what}: status ${res.status}`);
  return { status: res.status, text, contentType: res.headers.get('content-type') ?? '' };
}

function parseJson(provider: OAuthProvider, what: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new OAuthProviderError(provider, `${what}: malformed JSON`);
  }
}

/** GitHub's access-token answer: JSON when asked for, else form-encoded (as upstream parses it). */
function parseTokenAnswer(text: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('json')) {
    try {
      return asRecord(JSON.parse(text)) ?? {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/**
 * Flagsmith's GitHub login: the `code` from GitHub's redirect is exchanged for an access token with the app's
 * client id and secret, then `/user` gives id and name and `/user/emails` the primary verified address.
 */
export async function githubProfileFromCode(config: AppConfig, code: string): Promise<ProviderProfile> {
  const clientId = config.GITHUB_CLIENT_ID;
  const clientSecret = config.GITHUB_CLIENT_SECRET;
  if (!clientId || !clientSecret) throw new Error('GitHub OAuth is not configured');
  const token = await request('github', 'access token', `${githubOAuthBase(config)}/access_token`, {
    method: 'POST',
    headers: {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': USER_AGENT,
    },
    body: new URLSearchParams({ code, client_id: clientId, client_secret: clientSecret }).toString(),
  });
  const answer = parseTokenAnswer(token.text, token.contentType);
  if (typeof answer.error === 'string') {
    const description =
      typeof answer.error_description === 'string' ? answer.error_description : answer.error;
    throw new OAuthProviderError('github', `access token refused: ${description}`);
  }
  const accessToken = answer.access_token;
  if (typeof accessToken !== 'string' || !accessToken)
    throw new OAuthProviderError('github', 'access token: no access_token in the answer');
  return githubProfileFromToken(config, accessToken);
}

export async function githubProfileFromToken(
  config: AppConfig,
  accessToken: string,
): Promise<ProviderProfile> {
  const headers = {
    authorization: `token ${accessToken}`,
    accept: 'application/vnd.github+json',
    'user-agent': USER_AGENT,
  };
  const api = githubApiBase(config);
  const [userRes, emailsRes] = await Promise.all([
    request('github', 'user', `${api}/user`, { headers }),
    request('github', 'user emails', `${api}/user/emails`, { headers }),
  ]);
  const user = asRecord(parseJson('github', 'user', userRes.text));
  const emails = parseJson('github', 'user emails', emailsRes.text);
  if (!user || (typeof user.id !== 'number' && typeof user.id !== 'string'))
    throw new OAuthProviderError('github', 'user: no id in the answer');
  if (!Array.isArray(emails)) throw new OAuthProviderError('github', 'user emails: not a list');
  const [firstName, lastName] = splitFullName(user.name);
  return {
    provider: 'github',
    id: String(user.id),
    email: primaryVerifiedGithubEmail(emails),
    firstName,
    lastName,
  };
}

/** The entry both primary and verified, as Flagsmith requires; GitHub has exactly one primary address. */
export function primaryVerifiedGithubEmail(entries: readonly unknown[]): string {
  for (const entry of entries) {
    const e = asRecord(entry);
    const address = e?.email ?? e?.value;
    if (e && isTrue(e.primary) && isTrue(e.verified) && typeof address === 'string' && address)
      return address;
  }
  throw new OAuthProviderError('github', 'no verified primary email', NO_VERIFIED_GITHUB_EMAIL);
}

/** Flagsmith's Google login: the frontend's access token reads Google's userinfo (v3 OpenID or v1 shape). */
export async function googleProfileFromToken(
  config: AppConfig,
  accessToken: string,
): Promise<ProviderProfile> {
  const res = await request('google', 'userinfo', googleUserinfoUrl(config), {
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json', 'user-agent': USER_AGENT },
  });
  const info = asRecord(parseJson('google', 'userinfo', res.text));
  if (!info) throw new OAuthProviderError('google', 'userinfo: not an object');
  return googleProfileFromUserinfo(info);
}

export function googleProfileFromUserinfo(info: Record<string, unknown>): ProviderProfile {
  const id = info.sub ?? info.id;
  if (typeof id !== 'string' && typeof id !== 'number')
    throw new OAuthProviderError('google', 'userinfo: no sub/id');
  const email = info.email;
  if (typeof email !== 'string' || !email) throw new OAuthProviderError('google', 'userinfo: no email');
  // v3 says email_verified, v1 verified_email; an answer saying neither is not taken as verified.
  if (!isTrue(info.email_verified ?? info.verified_email))
    throw new OAuthProviderError('google', 'email not verified', NO_VERIFIED_GOOGLE_EMAIL);
  const name = (value: unknown) => (typeof value === 'string' ? value.slice(0, NAME_MAX) : '');
  return {
    provider: 'google',
    id: String(id),
    email,
    firstName: name(info.given_name),
    lastName: name(info.family_name),
  };
}
