// SPDX-License-Identifier: Apache-2.0
// compute.test.js - gceb-emulator as Google's own Compute v1 Node client sees it.
//
// Every method gceb calls (lib/gce.c) and every error gceb handles, each
// answer checked against the type the client declares for the method
// (schema.js): unknown fields and wrong JSON types fail.
'use strict';

const assert = require('node:assert/strict');
const { describe, it, before, after } = require('node:test');

const { Emulator, CANONICAL, linkName, sleep, checkError } = require('./emulator.js');

const P = 'p';
const Z = 'z';
const RID = '5f0c2b1e-7a3d-4e8f-9b6a-1c2d3e4f5a6b';

const TEMPLATE = {
  name: 'tmpl-a',
  properties: {
    machineType: 'n1-standard-8',
    disks: [
      {
        boot: true,
        autoDelete: true,
        initializeParams: {
          diskSizeGb: '100',
          sourceImage: `${CANONICAL}projects/ip/global/images/img`,
        },
      },
    ],
    metadata: { items: [{ key: 'k', value: 'v' }] },
    networkInterfaces: [{ network: `${CANONICAL}projects/p/global/networks/default` }],
    serviceAccounts: [{ email: 'sa@p', scopes: ['https://www.googleapis.com/auth/cloud-platform'] }],
    tags: { items: ['gceb'] },
  },
};

function group(name, template, size, extra = {}) {
  return {
    name,
    baseInstanceName: `${name}-b`,
    instanceTemplate: `${CANONICAL}projects/${P}/global/instanceTemplates/${template}`,
    targetSize: size,
    ...extra,
  };
}

// Waits for op as gceb does (a GET, which the emulator counts as a look), checked.
async function done(emu, op) {
  const zone = op.zone ? linkName(op.zone) : null;
  const got = zone
    ? await emu.call('zoneOperations', 'get', { project: P, zone, operation: op.name })
    : await emu.call('globalOperations', 'get', { project: P, operation: op.name });
  assert.equal(got.status, 'DONE');
  return got;
}

function names(list, field = 'name') {
  return (list || []).map((x) => (field === 'name' ? x.name : linkName(x[field])));
}

function isSorted(a) {
  return a.every((x, i) => i === 0 || a[i - 1] < x);
}

describe('instanceTemplates and globalOperations', () => {
  const emu = new Emulator();
  before(() => emu.start());
  after(() => emu.stop());

  it('insert answers an Operation with canonical links; get and wait see it', async () => {
    const op = await emu.call('instanceTemplates', 'insert', { project: P, requestBody: TEMPLATE });
    assert.equal(op.kind, 'compute#operation');
    assert.equal(op.targetLink, `${CANONICAL}projects/p/global/instanceTemplates/tmpl-a`);
    linkName(op.selfLink);
    const got = await emu.call('globalOperations', 'get', { project: P, operation: op.name });
    assert.equal(got.status, 'DONE');
    const waited = await emu.call('globalOperations', 'wait', { project: P, operation: op.name });
    assert.equal(waited.status, 'DONE');
    const t = await emu.call('instanceTemplates', 'get', { project: P, instanceTemplate: 'tmpl-a' });
    assert.equal(t.properties.disks[0].initializeParams.diskSizeGb, '100');
    assert.equal(linkName(t.selfLink), 'tmpl-a');
  });

  it('insert of an existing name is 409, a bad name 400', async () => {
    await emu.call('instanceTemplates', 'insert', { project: P, requestBody: TEMPLATE }, 409);
    await emu.call(
      'instanceTemplates',
      'insert',
      { project: P, requestBody: { ...TEMPLATE, name: 'Bad_Name' } },
      400,
    );
  });

  it('a retried insert with the same requestId gets the first operation', async () => {
    const body = { ...TEMPLATE, name: 'tmpl-rid' };
    const a = await emu.call('instanceTemplates', 'insert', { project: P, requestId: RID, requestBody: body });
    const b = await emu.call('instanceTemplates', 'insert', { project: P, requestId: RID, requestBody: body });
    assert.equal(b.name, a.name);
    assert.equal(b.id, a.id);
    await emu.call('instanceTemplates', 'insert', { project: P, requestId: 'nope', requestBody: body }, 400);
  });

  it('get of a missing template is 404', async () => {
    await emu.call('instanceTemplates', 'get', { project: P, instanceTemplate: 'none' }, 404);
    await emu.call('globalOperations', 'get', { project: P, operation: 'operation-none' }, 404);
    await emu.call('globalOperations', 'wait', { project: P, operation: 'operation-none' }, 404);
  });

  it('list is by name, paged and filtered', async () => {
    for (const n of ['tmpl-c', 'tmpl-b'])
      await done(emu, await emu.call('instanceTemplates', 'insert', { project: P, requestBody: { ...TEMPLATE, name: n } }));
    await done(emu, await emu.call('instanceTemplates', 'insert', { project: P, requestId: RID, requestBody: { ...TEMPLATE, name: 'tmpl-rid' } }));
    const all = await emu.call('instanceTemplates', 'list', { project: P });
    assert.deepEqual(names(all.items), ['tmpl-a', 'tmpl-b', 'tmpl-c', 'tmpl-rid']);
    const p1 = await emu.call('instanceTemplates', 'list', { project: P, maxResults: 3 });
    assert.deepEqual(names(p1.items), ['tmpl-a', 'tmpl-b', 'tmpl-c']);
    const p2 = await emu.call('instanceTemplates', 'list', {
      project: P,
      maxResults: 3,
      pageToken: p1.nextPageToken,
    });
    assert.deepEqual(names(p2.items), ['tmpl-rid']);
    assert.equal(p2.nextPageToken, undefined);
    const f = await emu.call('instanceTemplates', 'list', { project: P, filter: 'name eq "tmpl-[bc]"' });
    assert.deepEqual(names(f.items), ['tmpl-b', 'tmpl-c']);
    await emu.call('instanceTemplates', 'list', { project: P, pageToken: 'x' }, 400);
    await emu.call('instanceTemplates', 'list', { project: P, filter: 'name ~ x' }, 400);
  });

  it('delete answers an Operation; then the template is gone', async () => {
    const op = await emu.call('instanceTemplates', 'delete', { project: P, instanceTemplate: 'tmpl-c' });
    assert.equal(op.operationType, 'delete');
    await done(emu, op);
    await emu.call('instanceTemplates', 'get', { project: P, instanceTemplate: 'tmpl-c' }, 404);
    await emu.call('instanceTemplates', 'delete', { project: P, instanceTemplate: 'tmpl-c' }, 404);
  });
});

describe('instanceGroupManagers, instanceGroups, instances, zoneOperations', () => {
  const emu = new Emulator();
  before(async () => {
    await emu.start();
    await done(emu, await emu.call('instanceTemplates', 'insert', { project: P, requestBody: TEMPLATE }));
  });
  after(() => emu.stop());

  it('insert, get with every currentActions counter, list by name', async () => {
    for (const n of ['g-z', 'g-a']) {
      const op = await emu.call('instanceGroupManagers', 'insert', {
        project: P,
        zone: Z,
        requestBody: group(n, 'tmpl-a', 0),
      });
      assert.equal(linkName(op.zone), Z);
      await done(emu, op);
    }
    const g = await emu.call('instanceGroupManagers', 'get', { project: P, zone: Z, instanceGroupManager: 'g-a' });
    assert.equal(Object.keys(g.currentActions).length, 13);
    assert.equal(g.listManagedInstancesResults, 'PAGELESS');
    assert.equal(linkName(g.instanceTemplate), 'tmpl-a');
    const l = await emu.call('instanceGroupManagers', 'list', { project: P, zone: Z });
    assert.deepEqual(names(l.items), ['g-a', 'g-z']);
  });

  it('insert errors: 409 on a name in use, 404 on a missing template', async () => {
    await emu.call('instanceGroupManagers', 'insert', { project: P, zone: Z, requestBody: group('g-a', 'tmpl-a', 0) }, 409);
    await emu.call('instanceGroupManagers', 'insert', { project: P, zone: Z, requestBody: group('g-x', 'none', 0) }, 404);
    await emu.call('instanceGroupManagers', 'get', { project: P, zone: Z, instanceGroupManager: 'none' }, 404);
  });

  it('resize, then members show in listManagedInstances, listInstances and instances.list', async () => {
    const op = await emu.call('instanceGroupManagers', 'resize', { project: P, zone: Z, instanceGroupManager: 'g-a', size: 4 });
    assert.equal(op.operationType, 'compute.instanceGroupManagers.resize');
    await emu.advance(20);
    const mi = await emu.call('instanceGroupManagers', 'listManagedInstances', {
      project: P,
      zone: Z,
      instanceGroupManager: 'g-a',
      maxResults: 1,
    });
    // PAGELESS: maxResults is ignored
    assert.equal(mi.managedInstances.length, 4);
    assert.ok(isSorted(names(mi.managedInstances, 'instance')));
    assert.ok(mi.managedInstances.every((m) => m.currentAction === 'NONE' && m.instanceStatus === 'RUNNING'));
    const li = await emu.call('instanceGroups', 'listInstances', {
      project: P,
      zone: Z,
      instanceGroup: 'g-a',
      maxResults: 3,
      requestBody: { instanceState: 'ALL' },
    });
    assert.equal(li.items.length, 3);
    const li2 = await emu.call('instanceGroups', 'listInstances', {
      project: P,
      zone: Z,
      instanceGroup: 'g-a',
      maxResults: 3,
      pageToken: li.nextPageToken,
      requestBody: {},
    });
    assert.equal(li2.items.length, 1);
    assert.ok(isSorted([...names(li.items, 'instance'), ...names(li2.items, 'instance')]));
    const il = await emu.call('instances', 'list', { project: P, zone: Z });
    assert.deepEqual(names(il.items), [...names(li.items, 'instance'), ...names(li2.items, 'instance')]);
    const one = names(il.items)[0];
    const f = await emu.call('instances', 'list', { project: P, zone: Z, filter: `name = "${one}"` });
    assert.deepEqual(names(f.items), [one]);
    const r = await emu.call('instances', 'list', { project: P, zone: Z, filter: '(status = RUNNING) (name eq g-a-b-.*)' });
    assert.equal(r.items.length, 4);
    await emu.call('instances', 'list', { project: P, zone: Z, filter: 'name =' }, 400);
    await emu.call('instanceGroups', 'listInstances', { project: P, zone: Z, instanceGroup: 'none', requestBody: {} }, 404);
  });

  it('a PAGINATED group pages listManagedInstances', async () => {
    await done(
      emu,
      await emu.call('instanceGroupManagers', 'insert', {
        project: P,
        zone: Z,
        requestBody: group('g-p', 'tmpl-a', 3, { listManagedInstancesResults: 'PAGINATED' }),
      }),
    );
    await emu.advance(20);
    const a = await emu.call('instanceGroupManagers', 'listManagedInstances', {
      project: P,
      zone: Z,
      instanceGroupManager: 'g-p',
      maxResults: 2,
    });
    assert.equal(a.managedInstances.length, 2);
    const b = await emu.call('instanceGroupManagers', 'listManagedInstances', {
      project: P,
      zone: Z,
      instanceGroupManager: 'g-p',
      maxResults: 2,
      pageToken: a.nextPageToken,
    });
    assert.equal(b.managedInstances.length, 1);
  });

  it('instances.get and setMetadata; a stale fingerprint is 412', async () => {
    const il = await emu.call('instances', 'list', { project: P, zone: Z });
    const name = il.items[0].name;
    const inst = await emu.call('instances', 'get', { project: P, zone: Z, instance: name });
    assert.equal(inst.status, 'RUNNING');
    const op = await emu.call('instances', 'setMetadata', {
      project: P,
      zone: Z,
      instance: name,
      requestBody: { kind: 'compute#metadata', fingerprint: inst.metadata.fingerprint, items: [{ key: 'a', value: '1' }] },
    });
    assert.equal(op.operationType, 'setMetadata');
    await emu.call('zoneOperations', 'wait', { project: P, zone: Z, operation: op.name });
    const after = await emu.call('instances', 'get', { project: P, zone: Z, instance: name });
    assert.deepEqual(after.metadata.items, [{ key: 'a', value: '1' }]);
    await emu.call(
      'instances',
      'setMetadata',
      { project: P, zone: Z, instance: name, requestBody: { fingerprint: inst.metadata.fingerprint, items: [] } },
      412,
    );
    await emu.call('instances', 'get', { project: P, zone: Z, instance: 'none' }, 404);
  });

  it('deleteInstances with listed URLs; a non-member is 400', async () => {
    const li = await emu.call('instanceGroups', 'listInstances', { project: P, zone: Z, instanceGroup: 'g-a', requestBody: {} });
    const victim = li.items[0].instance;
    const op = await emu.call('instanceGroupManagers', 'deleteInstances', {
      project: P,
      zone: Z,
      instanceGroupManager: 'g-a',
      requestBody: { instances: [victim] },
    });
    assert.equal(op.operationType, 'compute.instanceGroupManagers.deleteInstances');
    await emu.call(
      'instanceGroupManagers',
      'deleteInstances',
      { project: P, zone: Z, instanceGroupManager: 'g-a', requestBody: { instances: [victim] } },
      400,
    );
    const g = await emu.call('instanceGroupManagers', 'get', { project: P, zone: Z, instanceGroupManager: 'g-a' });
    assert.equal(g.targetSize, 3);
    assert.equal(g.currentActions.deleting, 1);
  });

  it('instances.delete answers an Operation', async () => {
    const il = await emu.call('instances', 'list', { project: P, zone: Z, filter: 'name eq g-p-b-.*' });
    const op = await emu.call('instances', 'delete', { project: P, zone: Z, instance: il.items[0].name });
    assert.equal(op.operationType, 'delete');
  });

  it('delete of a group: the template in use is 400, resize while deleting 400, wait ends DONE', async () => {
    await emu.call('instanceTemplates', 'delete', { project: P, instanceTemplate: 'tmpl-a' }, 400);
    const op = await emu.call('instanceGroupManagers', 'delete', { project: P, zone: Z, instanceGroupManager: 'g-a' });
    await emu.call('instanceGroupManagers', 'resize', { project: P, zone: Z, instanceGroupManager: 'g-a', size: 1 }, 400);
    const waiting = emu.call('zoneOperations', 'wait', { project: P, zone: Z, operation: op.name });
    await sleep(200);
    await emu.advance(30);
    const finished = await waiting;
    assert.equal(finished.status, 'DONE');
    await emu.call('instanceGroupManagers', 'get', { project: P, zone: Z, instanceGroupManager: 'g-a' }, 404);
    await emu.call('instanceGroupManagers', 'delete', { project: P, zone: Z, instanceGroupManager: 'g-a' }, 404);
    await emu.call('zoneOperations', 'get', { project: P, zone: Z, operation: 'operation-none' }, 404);
  });
});

describe('operations that fail, and lastAttempt', () => {
  const emu = new Emulator();
  before(() => emu.start(['--op-polls', '2', '--op-ms', '60000']));
  after(() => emu.stop());

  it('an operation that ends DONE with an error', async () => {
    await emu.ctl('/_emu/gce/op-failure', {
      operationType: 'insert',
      target: '*/instanceTemplates/bad',
      code: 'RESOURCE_NOT_FOUND',
      message: "The resource 'projects/ip/global/images/x' was not found",
      http_status: 404,
    });
    const op = await emu.call('instanceTemplates', 'insert', { project: P, requestBody: { ...TEMPLATE, name: 'bad' } });
    assert.equal(op.status, 'PENDING');
    const running = await emu.call('globalOperations', 'get', { project: P, operation: op.name });
    assert.equal(running.status, 'RUNNING');
    const done = await emu.call('globalOperations', 'wait', { project: P, operation: op.name });
    assert.equal(done.status, 'DONE');
    assert.equal(done.error.errors[0].code, 'RESOURCE_NOT_FOUND');
    assert.equal(done.httpErrorStatusCode, 404);
  });

  it('members that cannot be created carry lastAttempt errors', async () => {
    await emu.ctl('/_emu/gce/zone', { project: P, zone: Z, capacity: 1, code: 'QUOTA_EXCEEDED' });
    await emu.seed('q', 0);
    await emu.call('instanceGroupManagers', 'resize', { project: P, zone: Z, instanceGroupManager: 'q', size: 3 });
    await emu.advance(20);
    const mi = await emu.call('instanceGroupManagers', 'listManagedInstances', { project: P, zone: Z, instanceGroupManager: 'q' });
    const codes = mi.managedInstances.map((m) => m.lastAttempt?.errors?.errors?.[0]?.code).filter(Boolean);
    assert.deepEqual(codes, ['QUOTA_EXCEEDED', 'QUOTA_EXCEEDED']);
  });
});

describe('errors gceb handles, in Google error envelopes', () => {
  const emu = new Emulator();
  before(() => emu.start());
  after(() => emu.stop());

  for (const [status, reason] of [
    [403, 'rateLimitExceeded'],
    [403, 'userRateLimitExceeded'],
    [429, 'rateLimitExceeded'],
    [500, 'backendError'],
    [503, 'backendError'],
  ]) {
    it(`${status} ${reason}`, async () => {
      await emu.ctl('/_emu/faults', {
        path: '/compute/v1/projects/p/global/instanceTemplates/x',
        status,
        reason,
        count: 1,
      });
      const err = await emu.call('instanceTemplates', 'get', { project: P, instanceTemplate: 'x' }, status);
      assert.equal(err.error.errors[0].reason, reason);
    });
  }

  it('401 for a token the emulator did not mint', async () => {
    const res = await fetch(`${emu.root}/compute/v1/projects/p/global/instanceTemplates`, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    assert.equal(res.status, 401);
    assert.deepEqual(checkError(await res.json(), 401), []);
  });
});
