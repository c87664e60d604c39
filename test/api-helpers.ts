import { TestApp } from './support/app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are loosely typed JSON
export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

/** Small JSON client for the management API: `auth` is a token key or "Api-Key …". */
export function client(t: TestApp) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are loosely typed JSON
  return async function call<T = any>(
    method: string,
    path: string,
    options: { auth?: string; body?: unknown; rawBody?: string } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (options.auth)
      headers.authorization = options.auth.startsWith('Api-Key ') ? options.auth : `Token ${options.auth}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${t.url}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // keep text
    }
    return { status: res.status, body: parsed as T };
  };
}

export type Call = ReturnType<typeof client>;

let counter = 0;
export const uniqueEmail = (prefix = 'user') => `${prefix}${++counter}-${Date.now()}@example.com`;
export const PASSWORD = 'correct-horse-battery-9';

/** Registers a user and returns {id, token, email}. */
export async function signUp(call: Call, email = uniqueEmail(), extra: Record<string, unknown> = {}) {
  const res = await call('POST', '/api/v1/auth/users/', {
    body: { email, password: PASSWORD, first_name: 'Ann', last_name: 'Lee', ...extra },
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as number, token: res.body.key as string, email };
}

export async function createOrganisation(call: Call, token: string, name = 'Acme') {
  const res = await call('POST', '/api/v1/organisations/', { auth: token, body: { name } });
  if (res.status !== 201) throw new Error(`org create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; uuid: string; name: string };
}

export async function createProject(call: Call, token: string, organisation: number, name = 'Web') {
  const res = await call('POST', '/api/v1/projects/', { auth: token, body: { name, organisation } });
  if (res.status !== 201) throw new Error(`project create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; uuid: string; name: string };
}

export async function createEnvironment(call: Call, token: string, project: number, name = 'Development') {
  const res = await call('POST', '/api/v1/environments/', { auth: token, body: { name, project } });
  if (res.status !== 201)
    throw new Error(`environment create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; uuid: string; api_key: string; name: string };
}
