// The rest of the surface on SQLite and PostgreSQL: administration, permissions, JD
// versions, weightage profiles, directories, cancellation, employers, parsing one file,
// error codes, and handles shared by concurrent Promises.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { rf, evalDir, evalResumes, tempDir, onEveryBackend, fastWorker } from './helpers.mjs'

/** Asserts that `promise` rejects with an `Error` whose code is `code`. */
async function rejectsWith (promise, code) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof Error, `not an Error: ${err}`)
    assert.equal(err.code, code, err.message)
    assert.ok(err.message.length > 0)
    return true
  })
}

const NO_SUCH_ID = '01900000-0000-7000-8000-000000000000'

async function surface (t, databaseUrl) {
  const dir = tempDir()
  const key = Buffer.alloc(32, 7)
  const engine = await rf.Engine.connect({ databaseUrl, storeUrl: `file://${join(dir, 'store')}`, key })
  await engine.migrate()

  // Tenants.
  const acme = await engine.tenants.create({ name: 'Acme', slug: 'acme', settings: { region: 'eu' } })
  assert.deepEqual(acme.settings, { region: 'eu' })
  await rejectsWith(engine.tenants.create({ name: 'Acme again', slug: 'acme' }), 'CONFLICT')
  await rejectsWith(engine.tenants.create({ name: 'Bad', slug: 'Not A Slug' }), 'INVALID_INPUT')
  const globex = await engine.tenants.create({ name: 'Globex', slug: 'globex' })
  const renamed = await engine.tenants.update(globex.tenantId, { name: 'Globex Corp', retentionDays: 30 })
  assert.equal(renamed.name, 'Globex Corp')
  assert.equal(renamed.retentionDays, 30)
  await engine.tenants.deactivate(globex.tenantId)
  assert.deepEqual((await engine.tenants.list()).map((x) => x.slug), ['acme'])
  assert.equal((await engine.tenants.list(true)).length, 2)
  const gOwner = await engine.tenants.addOwner(globex.tenantId, 'g@globex.test')
  await rejectsWith(engine.session(globex.tenantId, gOwner.userId), 'CONFIG')
  await engine.tenants.reactivate(globex.tenantId)
  await rejectsWith(engine.tenants.get(NO_SUCH_ID), 'NOT_FOUND')
  await rejectsWith(engine.tenants.get('not-a-uuid'), 'INVALID_INPUT')
  assert.equal(await engine.tenants.findBySlug('nobody'), null)

  // Users and permissions.
  const owner = await engine.tenants.addOwner(acme.tenantId, 'owner@acme.test')
  assert.equal((await engine.tenants.findUser(acme.tenantId, 'owner@acme.test')).userId, owner.userId)
  const s = await engine.session(acme.tenantId, owner.userId)
  assert.equal((await s.tenant.get()).slug, 'acme')
  assert.equal((await s.tenant.update({ name: 'Acme Inc' })).name, 'Acme Inc')
  const viewer = await s.users.create({ email: 'v@acme.test', role: 'viewer' })
  await rejectsWith(s.users.create({ email: 'v@acme.test', role: 'viewer' }), 'CONFLICT')
  // Arguments of the wrong type (what TypeScript flags) throw at the call, as napi does.
  assert.throws(() => s.users.create({ email: 'x@acme.test', role: 'emperor' }), (err) => {
    assert.equal(err.code, 'InvalidArg')
    assert.match(err.message, /emperor/)
    return true
  })
  assert.equal((await s.users.findByEmail('v@acme.test')).userId, viewer.userId)
  assert.equal(await s.users.findByEmail('nobody@acme.test'), null)
  assert.equal((await s.users.update(viewer.userId, { displayName: 'Vee' })).displayName, 'Vee')
  assert.ok(!(await s.permissions.effective(viewer.userId)).includes('candidate_pii_read'))
  await s.permissions.grant(viewer.userId, 'candidate_pii_read')
  await s.permissions.deny(viewer.userId, 'jd_read')
  const overrides = await s.permissions.list(viewer.userId)
  assert.deepEqual(overrides.map((o) => [o.permission, o.effect]).sort(),
    [['candidate_pii_read', 'grant'], ['jd_read', 'deny']])
  const effective = await s.permissions.effective(viewer.userId)
  assert.ok(effective.includes('candidate_pii_read') && !effective.includes('jd_read'))
  const vs = await engine.session(acme.tenantId, viewer.userId)
  assert.equal(vs.can('candidate_pii_read'), true)
  await rejectsWith(vs.jobDescriptions.list(), 'PERMISSION_DENIED')
  await rejectsWith(vs.users.create({ email: 'y@acme.test', role: 'owner' }), 'PERMISSION_DENIED')
  assert.equal(await s.permissions.revoke(viewer.userId, 'jd_read'), true)
  assert.equal(await s.permissions.revoke(viewer.userId, 'jd_read'), false)
  await s.users.deactivate(viewer.userId)
  await rejectsWith(engine.session(acme.tenantId, viewer.userId), 'CONFIG')
  await s.users.reactivate(viewer.userId)
  await engine.session(acme.tenantId, viewer.userId)
  const leaver = await s.users.create({ email: 'leaver@acme.test', role: 'recruiter' })
  await s.users.delete(leaver.userId)
  await rejectsWith(s.users.get(leaver.userId), 'NOT_FOUND')

  // Tenant isolation: another tenant's ids are not found.
  const gs = await engine.session(globex.tenantId, gOwner.userId)
  await rejectsWith(gs.users.get(viewer.userId), 'NOT_FOUND')

  // Job descriptions with versions.
  const jd = await s.jobDescriptions.create({
    title: 'Backend',
    text: readFileSync(join(evalDir, 'jds', 'jd-backend-engineer.md'), 'utf8')
  })
  assert.equal(jd.version, 1)
  assert.equal(jd.hasText, true)
  assert.match(await s.jobDescriptions.text(jd.jdId), /Python/)
  const v2 = await s.jobDescriptions.update(jd.jdId, {
    parameters: { must_have: ['Rust'], keywords: [{ pattern: 'on-call', weight: 1, mandatory: true }] },
    note: 'Rust now'
  })
  assert.equal(v2.version, 2)
  assert.deepEqual((await s.jobDescriptions.criteria(jd.jdId)).mustHave, ['Rust'])
  assert.ok((await s.jobDescriptions.criteria(jd.jdId, 1)).mustHave.includes('Python'))
  assert.ok((await s.jobDescriptions.requirements(jd.jdId)).some((r) => r.kind === 'keyword' && r.mandatory))
  const v3 = await s.jobDescriptions.restore(jd.jdId, 1)
  assert.equal(v3.version, 3)
  const versions = await s.jobDescriptions.versions(jd.jdId)
  assert.deepEqual(versions.map((v) => v.version), [1, 2, 3])
  assert.equal(versions[1].changeNote, 'Rust now')
  const structured = await s.jobDescriptions.create({ title: 'Structured', parameters: { must_have: ['Go'] } })
  assert.equal(structured.hasText, false)
  assert.equal((await s.jobDescriptions.list()).length, 2)
  await rejectsWith(s.jobDescriptions.restore(jd.jdId, 99), 'NOT_FOUND')

  // Weightage profiles.
  const builtIn = await s.profiles.effectiveDefault()
  assert.deepEqual(builtIn.knockouts, [{ rule: 'mandatory_requirements' }])
  const strict = await s.profiles.create({
    name: 'strict',
    scorers: { local: 1, ai: 0 },
    knockouts: [{ rule: 'must_have_coverage', min: 50 }, { rule: 'min_years' }],
    knockoutCap: 30
  }, true)
  assert.equal(strict.isDefault, true)
  assert.deepEqual(strict.profile.knockouts, [{ rule: 'must_have_coverage', min: 50 }, { rule: 'min_years' }])
  assert.equal(strict.profile.components.mustHave, builtIn.components.mustHave)
  assert.equal((await s.profiles.effectiveDefault()).name, 'strict')
  const lenient = await s.profiles.create({ name: 'lenient', knockouts: [] })
  assert.equal((await s.profiles.setDefault(lenient.profileId)).isDefault, true)
  assert.equal((await s.profiles.update(lenient.profileId, { name: 'lenient', knockoutCap: 55 })).profile.knockoutCap, 55)
  await rejectsWith(s.profiles.create({ name: 'bad', scorers: { local: -1, ai: 1 } }), 'INVALID_INPUT')
  await s.profiles.delete(strict.profileId)
  assert.deepEqual((await s.profiles.list()).map((p) => p.profile.name), ['lenient'])
  assert.equal((await s.profiles.get(lenient.profileId)).profileId, lenient.profileId)

  // A batch from a directory, with the profile; adding is idempotent.
  const folder = join(dir, 'incoming')
  mkdirSync(join(folder, 'sub'), { recursive: true })
  const [a, b, c] = evalResumes(3)
  copyFileSync(a, join(folder, 'a' + a.slice(a.lastIndexOf('.'))))
  copyFileSync(b, join(folder, 'sub', 'b' + b.slice(b.lastIndexOf('.'))))
  writeFileSync(join(folder, 'empty.txt'), '')
  const batch = await s.batches.create({ jdId: jd.jdId, name: 'dir', weightageProfileId: lenient.profileId })
  assert.equal(batch.weightageProfile.name, 'lenient')
  assert.equal(batch.weightageProfile.profile_id, lenient.profileId)
  assert.equal(batch.weightageProfile.weights.knockout_cap, 55)
  // The update replaced the whole profile: its absent knock-outs took the default.
  assert.deepEqual(batch.weightageProfile.knockouts, [{ rule: 'mandatory_requirements' }])
  assert.equal(batch.status, 'created')
  const entries = await s.batches.addDir(batch.batchId, folder)
  const names = ['a' + a.slice(a.lastIndexOf('.')), 'empty.txt', 'sub/b' + b.slice(b.lastIndexOf('.'))]
  assert.deepEqual(entries.map((e) => e.path), names.map((n) => join(folder, n)))
  assert.deepEqual(entries.map((e) => e.added.file.originalName), names)
  const empty = entries[1].added
  assert.equal(empty.disposition, 'rejected')
  assert.equal(empty.rejection.code, 'empty_file')
  assert.equal(empty.file.status, 'failed')
  assert.equal((await s.batches.addPath(batch.batchId, a)).disposition, 'already_in_batch')
  assert.equal((await s.batches.addPath(batch.batchId, join(dir, 'missing.pdf'))).rejection.code, 'unreadable_file')
  await rejectsWith(s.batches.addDir(batch.batchId, join(dir, 'no-such-dir')), 'INVALID_INPUT')
  assert.equal((await s.batches.list()).length, 1)
  assert.equal((await s.batches.get(batch.batchId)).totalFiles, 4)

  // Another batch reuses stored content; cancelling it before a worker runs.
  const other = await s.batches.create({ jdId: structured.jdId })
  assert.equal((await s.batches.addBytes(other.batchId, 'c', readFileSync(a))).disposition, 'deduplicated')
  await s.batches.addPath(other.batchId, c)
  await s.batches.submit(other.batchId)
  await rejectsWith(s.batches.addPath(other.batchId, b), 'CONFLICT')
  assert.equal((await s.batches.cancel(other.batchId)).status, 'cancelled')

  // The first batch runs; the worker skips the cancelled one.
  await s.batches.submit(batch.batchId)
  const stats = await engine.runWorker(fastWorker)
  assert.equal(stats.completed, 2, JSON.stringify(stats))
  const progress = await s.batches.status(batch.batchId)
  assert.equal(progress.status, 'completed')
  assert.equal(progress.failedFiles, 2)
  const results = await s.scoring.results(batch.batchId)
  assert.equal(results.length, 2)
  const outcome = await s.scoring.scoreResume(batch.batchId, results[0].resumeId)
  assert.equal(outcome.resumeId, results[0].resumeId)
  assert.equal(outcome.llmCalls, 0)
  assert.equal(await s.scoring.rank(batch.batchId), 2)
  const jobs = await s.jobs(batch.batchId)
  assert.ok(jobs.every((j) => j.status === 'completed'))
  const replayed = await engine.replay(jobs[0].jobId, 'parse')
  assert.deepEqual(replayed.droppedSteps, ['parse', 'validate', 'score'])
  assert.equal(replayed.tenantId, acme.tenantId)
  await engine.runWorker(fastWorker)
  await rejectsWith(s.replay(NO_SUCH_ID, 'score'), 'NOT_FOUND')

  // Candidates and employers.
  const cand = await s.candidates.get(results[0].resumeId)
  assert.ok(cand.experiences.length > 0)
  assert.equal(cand.status, 'scored')
  const again = await s.candidates.parseObject(cand.storageObjectId)
  assert.equal(again.resumeId, cand.resumeId)
  const employers = await s.employers.list()
  assert.ok(employers.length > 0)
  const company = cand.experiences[0].company
  const found = await s.employers.find(company)
  assert.ok(found, company)
  assert.deepEqual((await s.employers.get(found.employerId)).name, found.name)
  const hits = await s.employers.candidatesByEmployer(company)
  assert.ok(hits.some((h) => h.resumeId === cand.resumeId))
  const byTitle = await s.employers.candidatesByTitle(cand.experiences[0].title)
  assert.ok(byTitle.some((h) => h.resumeId === cand.resumeId))
  // Employer decisions: an alias, a merge and a split.
  const nick = await s.employers.addAlias('Definitely Not A Real Company Ltd', found.employerId)
  assert.equal(nick.employerId, found.employerId)
  assert.ok(nick.aliases.some((x) => x.alias === 'Definitely Not A Real Company Ltd' && x.kind === 'merge'))
  assert.equal((await s.employers.find('Definitely Not A Real Company Ltd')).employerId, found.employerId)
  const second = employers.find((e) => e.employerId !== found.employerId)
  const merged = await s.employers.merge(second.employerId, found.employerId)
  assert.equal(merged.employerId, found.employerId)
  assert.equal((await s.employers.find(second.name)).employerId, found.employerId)
  await rejectsWith(s.employers.get(second.employerId), 'NOT_FOUND')
  const split = await s.employers.split(second.name)
  assert.notEqual(split.employerId, found.employerId)
  assert.equal((await s.employers.find(second.name)).employerId, split.employerId)
  const relinked = await s.employers.relink()
  assert.ok(relinked.experiences >= cand.experiences.length)

  // Concurrent Promises on one session and one engine.
  const many = await Promise.all(Array.from({ length: 16 }, (_, i) =>
    s.users.create({ email: `u${i}@acme.test`, role: i % 2 ? 'recruiter' : 'viewer' })))
  assert.equal(new Set(many.map((u) => u.userId)).size, 16)
  const reads = await Promise.all([
    ...many.map((u) => s.users.get(u.userId)),
    ...many.map(() => s.scoring.results(batch.batchId)),
    ...many.map((u) => engine.session(acme.tenantId, u.userId))
  ])
  assert.equal(reads.length, 48)

  const log = await s.auditLog(1000)
  assert.ok(log.length > 10)
  assert.equal((await s.verifyAuditChain()).ok, true)
  // Partition upkeep names the monthly partitions it ensured; a no-op on SQLite.
  const upkeep = await engine.partitionUpkeep(4)
  if (engine.backend === 'sqlite') assert.deepEqual(upkeep, { created: [], dropped: [] })
  else assert.ok(upkeep.created.some((name) => name.startsWith('audit_logs_p')), JSON.stringify(upkeep))
  assert.deepEqual(await engine.partitionUpkeep(4), upkeep)
}

test('the whole surface', async (t) => {
  await onEveryBackend(t, surface)
})

test('parseDocument reads one file without a database', async () => {
  const [file] = evalResumes(1)
  const parsed = await rf.parseDocument(readFileSync(file))
  assert.equal(parsed.parser, 'heuristic')
  assert.ok(parsed.text.length > 100)
  assert.ok(parsed.experienceMonths > 0)
  assert.ok(parsed.resume.basics, JSON.stringify(Object.keys(parsed.resume)))
  const withModel = await rf.parseDocument(readFileSync(file), {
    llm: async () => { throw new Error('model offline') },
    llmPolicy: { timeoutMs: 1000 }
  })
  assert.equal(withModel.parser, 'heuristic')
  assert.ok(withModel.flags.some((f) => f.startsWith('llm_fallback')), JSON.stringify(withModel.flags))
  await rejectsWith(rf.parseDocument(Buffer.from([0, 1, 2, 0xff, 0, 0])), 'INVALID_INPUT')
})

test('connect rejects bad options with codes', async () => {
  await rejectsWith(rf.Engine.connect({ databaseUrl: 'sqlite::memory:', key: Buffer.alloc(3) }), 'INVALID_INPUT')
  await rejectsWith(rf.Engine.connect({ databaseUrl: 'sqlite::memory:', storeUrl: 'ftp://x' }), 'CONFIG')
  const engine = await rf.Engine.connect({ databaseUrl: `sqlite://${join(tempDir(), 'x.db')}?mode=rwc` })
  await engine.migrate()
  const t = await engine.tenants.create({ name: 'N', slug: 'n' })
  const o = await engine.tenants.addOwner(t.tenantId, 'o@n.test')
  const s = await engine.session(t.tenantId, o.userId)
  const jd = await s.jobDescriptions.create({ title: 'J', parameters: { must_have: ['Go'] } })
  const b = await s.batches.create({ jdId: jd.jdId })
  await rejectsWith(s.batches.addBytes(b.batchId, 'a.txt', Buffer.from('Jane Doe\nGo developer 2019-2024')), 'CONFIG')
  // A closed engine answers every call with a database error.
  await engine.close()
  await rejectsWith(s.batches.list(), 'DATABASE')
})
