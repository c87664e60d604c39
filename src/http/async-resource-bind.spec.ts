import { AsyncLocalStorage, AsyncResource, executionAsyncId } from 'node:async_hooks';
import { installFastAsyncResourceBind } from './async-resource-bind';

describe('installFastAsyncResourceBind', () => {
  beforeAll(() => {
    installFastAsyncResourceBind();
  });

  it('bound function: runs in the resource’s async scope and sees its AsyncLocalStorage context', () => {
    const storage = new AsyncLocalStorage<string>();
    const { resource, bound } = storage.run('request-1', () => {
      const r = new AsyncResource('test');
      return { resource: r, bound: r.bind(() => [executionAsyncId(), storage.getStore()] as const) };
    });
    const [asyncId, store] = storage.run('other-request', () => bound());
    expect(asyncId).toBe(resource.asyncId());
    expect(store).toBe('request-1');
  });

  it('bound function without thisArg: passes the caller’s this and every argument through', () => {
    const bound = new AsyncResource('test').bind(function (this: unknown, a: number, b: number) {
      return { self: this, sum: a + b };
    });
    const receiver = { bound };
    expect(receiver.bound(2, 3)).toEqual({ self: receiver, sum: 5 });
  });

  it('bound function with thisArg: uses thisArg whoever calls it', () => {
    const target = { name: 'target' };
    // Node's documented `bind(fn[, thisArg])`; @types/node declares only `fn`.
    const bindWithThis = AsyncResource.prototype.bind as unknown as (
      this: AsyncResource,
      fn: (this: { name: string }) => string,
      thisArg: unknown,
    ) => (this: unknown) => string;
    const bound = bindWithThis.call(
      new AsyncResource('test'),
      function (this: { name: string }) {
        return this.name;
      },
      target,
    );
    expect(bound.call({ name: 'caller' })).toBe('target');
  });

  it('bound function: keeps the callback’s length and defines no per-call accessor', () => {
    const bound = new AsyncResource('test').bind((a: number, b: number, c: number) => a + b + c);
    expect(bound.length).toBe(3);
    expect(Object.getOwnPropertyDescriptor(bound, 'asyncResource')).toBeUndefined();
  });

  it('non-function argument: throws a TypeError like Node’s own bind', () => {
    // By message: the replacement may come from another test file's module registry (another realm's TypeError).
    expect(() => new AsyncResource('test').bind(42 as unknown as () => void)).toThrow(
      /"fn" argument must be of type function/,
    );
  });

  it('second install: leaves the first replacement in place', () => {
    const installed = AsyncResource.prototype.bind;
    expect(installFastAsyncResourceBind()).toBe(false);
    expect(AsyncResource.prototype.bind).toBe(installed);
  });
});
