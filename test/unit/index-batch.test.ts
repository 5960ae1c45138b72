import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tx, UnitOfWork } from '../../src/data/unit-of-work.ts';
import { ClarusError } from '../../src/domain/error-catalog.ts';
import { IndexBatch, type IndexWork } from '../../src/services/images/index-batch.ts';

/** A unit of work that records its transactions: which works ran in each, and whether it committed. */
function fakeUow() {
  const transactions: { works: string[]; committed: boolean }[] = [];
  const uow = {
    async run<T>(_tenant: string | null, work: (tx: Tx) => Promise<T>): Promise<T> {
      const record = { works: [] as string[], committed: false };
      transactions.push(record);
      const result = await work(record as unknown as Tx);
      record.committed = true;
      return result;
    },
  } as unknown as UnitOfWork;
  return { uow, transactions };
}

const tenant = '00000000-0000-4000-8000-000000000001';

function work(name: string, options: { fail?: Error; audit?: () => Promise<void> } = {}): IndexWork<string> {
  return async (tx, steps) => {
    (tx as unknown as { works: string[] }).works.push(name);
    if (options.fail) throw options.fail;
    if (options.audit) steps.audit(options.audit);
    return name;
  };
}

describe('IndexBatch (STOW-RS group commit)', () => {
  test('works that become ready together share one transaction, each gets its own result', async () => {
    const { uow, transactions } = fakeUow();
    const batch = new IndexBatch(uow, tenant);
    const results = await Promise.all([batch.add(work('a')), batch.add(work('b')), batch.add(work('c'))]);
    assert.deepEqual(results, ['a', 'b', 'c']);
    assert.deepEqual(transactions, [{ works: ['a', 'b', 'c'], committed: true }]);
  });

  test('audit entries of a batch are appended together, after every work, and before the commit', async () => {
    const { uow, transactions } = fakeUow();
    const batch = new IndexBatch(uow, tenant);
    const appended: string[] = [];
    const audit = (name: string) => async () => {
      assert.equal(transactions[0]?.works.length, 2, 'after every work');
      assert.equal(transactions[0]?.committed, false, 'before the commit');
      appended.push(name);
    };
    await Promise.all([batch.add(work('a', { audit: audit('a') })), batch.add(work('b', { audit: audit('b') }))]);
    assert.deepEqual(appended, ['a', 'b']);
  });

  test('a failing work rolls the batch back and every work runs again alone: the refused one does not take the others', async () => {
    const { uow, transactions } = fakeUow();
    const batch = new IndexBatch(uow, tenant);
    const settled = await Promise.allSettled([batch.add(work('a')), batch.add(work('b', { fail: new ClarusError('CLARUS_ERR_PATIENT_MISMATCH') })), batch.add(work('c'))]);
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(transactions, [
      { works: ['a', 'b'], committed: false },
      { works: ['a'], committed: true },
      { works: ['b'], committed: false },
      { works: ['c'], committed: true },
    ]);
  });

  test('an audit append that fails fails the whole batch (fail-closed), without running it again', async () => {
    const { uow, transactions } = fakeUow();
    const batch = new IndexBatch(uow, tenant);
    const down = new ClarusError('CLARUS_ERR_AUDIT_UNAVAILABLE');
    const settled = await Promise.allSettled([batch.add(work('a', { audit: async () => undefined })), batch.add(work('b', { audit: () => Promise.reject(down) }))]);
    assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected']);
    assert.ok(settled.every((s) => (s as PromiseRejectedResult).reason === down));
    assert.deepEqual(transactions, [{ works: ['a', 'b'], committed: false }]);
  });

  test('works that arrive while a batch commits go in the next one', async () => {
    const { uow, transactions } = fakeUow();
    const batch = new IndexBatch(uow, tenant);
    let later: Promise<string> | undefined;
    const first = batch.add(work('a', { audit: async () => {
      later = batch.add(work('b'));
    } }));
    assert.equal(await first, 'a');
    assert.equal(await later, 'b');
    assert.deepEqual(transactions.map((t) => t.works), [['a'], ['b']]);
  });

  test('a batch waits for more works until told that nothing more is coming (flushNow), then goes at once', async () => {
    const { uow, transactions } = fakeUow();
    const batch = new IndexBatch(uow, tenant);
    const first = batch.add(work('a'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(transactions.length, 0, 'still gathering');
    const second = batch.add(work('b'));
    const started = Date.now();
    batch.flushNow();
    assert.deepEqual(await Promise.all([first, second]), ['a', 'b']);
    assert.ok(Date.now() - started < 100, 'not held back by the gathering timer');
    assert.deepEqual(transactions.map((t) => t.works), [['a', 'b']]);
  });

  test('without flushNow a batch still goes after a short while (a slow or stuck request holds nothing back for long)', async () => {
    const { uow, transactions } = fakeUow();
    const batch = new IndexBatch(uow, tenant);
    assert.equal(await batch.add(work('a')), 'a');
    assert.deepEqual(transactions.map((t) => t.works), [['a']]);
  });
});
