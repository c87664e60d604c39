import { ValidationFailed, PermissionDenied, NotFound } from '../../common/domain-errors';
import { FakeUnitOfWork } from '../../common/unit-of-work.fake';
import type { AppConfig } from '../../config';
import type { Environment } from '../../environments/environment.entity';
import { UploadedFile } from '../../http/multipart';
import type { PermissionsService } from '../../permissions/permissions.service';
import type { Feature, FeatureState } from '../feature.entity';
import type { FeatureStateValuesService, StateChanges } from '../feature-state-values.service';
import type { MvOptionsService } from '../mv-options.service';
import { readExportFile, renderExport, pythonFloat } from './export-format';
import type { ImportExportRepository } from './import-export.repository';
import { ImportExportService } from './import-export.service';

const ENV = {
  id: 7,
  uuid: 'e-uuid',
  name: 'Production',
  projectId: 3,
  project: { id: 3, organisationId: 1, preventFlagDefaults: false },
} as unknown as Environment;
const ADMIN = { kind: 'user', user: { id: 1 }, tokenKey: 't' } as never;

const item = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  default_enabled: true,
  is_server_key_only: false,
  initial_value: 'a',
  value: 'b',
  type: 'unicode',
  enabled: true,
  multivariate: [],
  ...extra,
});
const file = (items: unknown) =>
  new UploadedFile('export.json', 'application/json', Buffer.from(JSON.stringify(items)));

/** The service over an in-memory project: features by name, writes recorded. */
function setup(role: 'ADMIN' | 'USER' | null = 'ADMIN') {
  const features = new Map<string, Feature>();
  const imports: { status: string; strategy: string }[] = [];
  const applied: { featureId: number; changes: StateChanges }[] = [];
  let nextId = 1;
  const repository = {
    lockEnvironment: () => Promise.resolve(ENV),
    lockFeatureNamed: (_m: unknown, _p: number, name: string) =>
      Promise.resolve(features.get(name.toLowerCase()) ?? null),
    insertFeature: (_m: unknown, fields: Partial<Feature>) => {
      const feature = { ...fields, id: nextId++, uuid: `f${nextId}` } as Feature;
      features.set(feature.name.toLowerCase(), feature);
      return Promise.resolve(feature);
    },
    deleteSegmentOverrides: () => Promise.resolve(0),
    deleteIdentityOverrides: () => Promise.resolve(0),
    lockDefaultState: (_m: unknown, featureId: number) =>
      Promise.resolve({ id: featureId * 10, featureId } as FeatureState),
    options: () => Promise.resolve([]),
    mvShares: () => Promise.resolve([]),
    insertImport: (_m: unknown, fields: { status: string; strategy: string }) => {
      imports.push(fields);
      return Promise.resolve({ id: imports.length, ...fields });
    },
  } as unknown as ImportExportRepository;
  const permissions = { organisationRole: () => Promise.resolve(role) } as unknown as PermissionsService;
  const values = {
    createDefaultStates: () => Promise.resolve([]),
    apply: (_m: unknown, state: FeatureState, changes: StateChanges) => {
      applied.push({ featureId: state.featureId, changes });
      return Promise.resolve(state);
    },
  } as unknown as FeatureStateValuesService;
  const mvOptions = {
    insert: () =>
      Promise.reject(
        ValidationFailed.field('default_percentage_allocation', 'Invalid percentage allocation'),
      ),
  } as unknown as MvOptionsService;
  const uow = new FakeUnitOfWork();
  const service = new ImportExportService(
    repository,
    uow.asUnitOfWork(),
    permissions,
    values,
    mvOptions,
    {} as AppConfig,
  );
  return { service, uow, features, imports, applied };
}

describe('ImportExportService.importFile', () => {
  it('new features are created and get the file’s state; the import is audited and announced', async () => {
    const { service, uow, imports, applied, features } = setup();
    const saved = await service.importFile(
      ADMIN,
      ENV,
      file([item('one'), item('two', { type: 'int', value: 3 })]),
      'SKIP',
    );
    expect(saved.status).toBe('SUCCESS');
    expect([...features.keys()]).toEqual(['one', 'two']);
    expect(applied.map((a) => a.changes.value)).toEqual([
      { valueType: 'unicode', stringValue: 'b', integerValue: null, booleanValue: null },
      { valueType: 'int', stringValue: null, integerValue: 3, booleanValue: null },
    ]);
    expect(imports).toEqual([expect.objectContaining({ status: 'SUCCESS', strategy: 'SKIP' })]);
    const [run] = uow.committed;
    expect(run.environmentIds).toEqual(new Set([ENV.id]));
    expect(run.auditEntries.map((e) => e.log)).toEqual([
      'New Flag / Remote Config created: one',
      'New Flag / Remote Config created: two',
      'Features imported into environment Production (SKIP): 2 created, 0 overwritten, 0 skipped',
    ]);
  });

  it('SKIP leaves a feature of the same name (ignoring case) alone; OVERWRITE_DESTRUCTIVE writes its state', async () => {
    const { service, features, applied } = setup();
    features.set('promo', { id: 50, name: 'Promo', uuid: 'p' } as Feature);
    await service.importFile(ADMIN, ENV, file([item('PROMO')]), 'SKIP');
    expect(applied).toEqual([]);
    await service.importFile(ADMIN, ENV, file([item('PROMO')]), 'OVERWRITE_DESTRUCTIVE');
    expect(applied.map((a) => a.featureId)).toEqual([50]);
  });

  it('a file not in Flagsmith’s format is a field error on "file" and nothing is run', async () => {
    const { service, uow } = setup();
    await expect(service.importFile(ADMIN, ENV, file([{ name: 'x' }]), 'SKIP')).rejects.toEqual(
      ValidationFailed.field('file', 'Feature 1 ("x"): "default_enabled" is missing.'),
    );
    expect(uow.committed).toEqual([]);
  });

  it('a member who is not organisation admin is refused (403), an outsider 404, before anything is read', async () => {
    await expect(setup('USER').service.importFile(ADMIN, ENV, file([]), 'SKIP')).rejects.toBeInstanceOf(
      PermissionDenied,
    );
    await expect(setup(null).service.importFile(ADMIN, ENV, file([]), 'SKIP')).rejects.toBeInstanceOf(
      NotFound,
    );
  });

  it('an import a rule refuses is rolled back and recorded FAILED in its own unit of work', async () => {
    const { service, uow, imports } = setup();
    const mv = [
      { percentage_allocation: 10, default_percentage_allocation: 10, value: 'v', type: 'unicode' },
    ];
    const saved = await service.importFile(ADMIN, ENV, file([item('one', { multivariate: mv })]), 'SKIP');
    expect(saved.status).toBe('FAILED');
    expect(imports.map((i) => i.status)).toEqual(['FAILED']);
    expect(uow.committed).toHaveLength(1);
    expect(uow.committed[0].environmentIds.size).toBe(0);
    expect(uow.committed[0].auditEntries[0].log).toMatch(
      /^Feature import into environment Production failed: /,
    );
  });
});

describe('export format', () => {
  it('renders as DRF renders Flagsmith’s file: compact, ASCII-escaped, allocations as Python floats', () => {
    const text = renderExport([
      {
        ...item('café'),
        initial_value: null,
        type: 'unicode',
        multivariate: [
          { percentage_allocation: 33.3, default_percentage_allocation: 50, value: 2, type: 'int' },
        ],
      },
    ] as never);
    expect(text).toBe(
      '[{"name":"caf\\u00e9","default_enabled":true,"is_server_key_only":false,"initial_value":null,"value":"b",' +
        '"type":"unicode","enabled":true,"multivariate":[{"percentage_allocation":33.3,' +
        '"default_percentage_allocation":50.0,"value":2,"type":"int"}]}]',
    );
    expect(readExportFile(Buffer.from(text))).toEqual({ ok: true, features: JSON.parse(text) });
    expect([pythonFloat(100), pythonFloat(0.5), pythonFloat(0)]).toEqual(['100.0', '0.5', '0.0']);
  });

  it('a file of more than 1 000 000 bytes, or not UTF-8, is refused with the reason', () => {
    expect(readExportFile(Buffer.alloc(1_000_001, 32))).toEqual({
      ok: false,
      problem: 'File size is too large.',
    });
    expect(readExportFile(Buffer.from([0x5b, 0xff, 0x5d]))).toEqual({
      ok: false,
      problem: 'The file is not valid JSON: it is not UTF-8 text',
    });
  });
});
