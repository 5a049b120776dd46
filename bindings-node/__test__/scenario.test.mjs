// The full scenario on SQLite and PostgreSQL, as the Python suite runs it: a tenant and
// its users, a job description, a batch of evaluation resumes plus one broken file, a
// worker with a JavaScript model that rejects once, ranked results, evidence, and the
// walls around personal data.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { rf, evalDir, evalResumes, tempDir, onEveryBackend, hostModel, fastPolicy, fastWorker } from './helpers.mjs'

const RESUMES = 12

async function scenario (t, databaseUrl) {
  const dir = tempDir()
  const model = hostModel({ rejectFirst: true })
  const engine = await rf.Engine.connect({
    databaseUrl,
    storeUrl: `file://${join(dir, 'store')}`,
    keyFile: join(dir, 'master.key'),
    llm: model.llm,
    llmModel: 'js-scripted-1',
    llmPolicy: fastPolicy
  })
  await engine.migrate()
  assert.equal(engine.backend, databaseUrl.startsWith('postgres') ? 'postgres' : 'sqlite')

  // Tenant and users.
  const tenant = await engine.tenants.create({ name: 'Acme', slug: 'acme' })
  assert.equal((await engine.tenants.findBySlug('acme')).tenantId, tenant.tenantId)
  const owner = await engine.tenants.addOwner(tenant.tenantId, 'owner@acme.test', 'Olivia')
  const session = await engine.session(tenant.tenantId, owner.userId)
  assert.equal(session.actor.role, 'owner')
  const rita = await session.users.create({ email: 'rita@acme.test', role: 'recruiter' })
  const vic = await session.users.create({ email: 'vic@acme.test', role: 'viewer', displayName: 'Vic' })
  assert.deepEqual((await session.users.list()).map((u) => u.email).sort(),
    ['owner@acme.test', 'rita@acme.test', 'vic@acme.test'])

  // Job description, read heuristically because the model declines extract_criteria.
  const jd = await session.jobDescriptions.create({
    title: 'Senior Backend Engineer',
    text: readFileSync(join(evalDir, 'jds', 'jd-backend-engineer.md'), 'utf8')
  })
  const criteria = await session.jobDescriptions.criteria(jd.jdId)
  assert.ok(criteria.mustHave.includes('Python'), JSON.stringify(criteria))

  // A batch of evaluation resumes (Buffers and paths) and one broken file.
  const recruiter = await engine.session(tenant.tenantId, rita.userId)
  const batch = await recruiter.batches.create({ jdId: jd.jdId, name: 'eval' })
  const paths = evalResumes(RESUMES)
  assert.equal(paths.length, RESUMES)
  const added = await Promise.all(paths.map((p, i) => i % 2
    ? recruiter.batches.addPath(batch.batchId, p)
    : recruiter.batches.addBytes(batch.batchId, p.split('/').pop(), readFileSync(p))))
  for (const a of added) assert.notEqual(a.disposition, 'rejected', JSON.stringify(a))
  const broken = await recruiter.batches.addBytes(batch.batchId, 'broken.pdf',
    Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nthis is not a PDF body\n'))
  assert.equal(broken.disposition, 'stored')
  const submitted = await recruiter.batches.submit(batch.batchId)
  assert.equal(submitted.status, 'processing')

  // A worker; the model rejects its first scoring call and the engine retries it.
  const stats = await engine.runWorker(fastWorker)
  assert.equal(stats.completed + stats.failed, RESUMES + 1, JSON.stringify(stats))
  assert.ok(model.calls.filter((p) => p === 'score_resume').length >= RESUMES + 1)

  // The broken file fails alone.
  const progress = await recruiter.batches.status(batch.batchId)
  assert.equal(progress.totalFiles, RESUMES + 1)
  assert.equal(progress.failedFiles, 1, JSON.stringify(progress))
  assert.equal(progress.pendingFiles, 0)
  assert.equal(progress.status, 'completed')
  const files = await recruiter.batches.files(batch.batchId)
  const failed = files.filter((f) => f.status === 'failed')
  assert.deepEqual(failed.map((f) => f.originalName), ['broken.pdf'])
  assert.ok(failed[0].errorCode, JSON.stringify(failed[0]))

  // Ranked results with AI scores (the rejected call was retried), best first.
  const results = await recruiter.scoring.results(batch.batchId)
  assert.equal(results.length, RESUMES)
  assert.deepEqual(results.map((r) => r.rank), results.map((_, i) => i + 1))
  for (let i = 1; i < results.length; i++) {
    assert.ok(results[i - 1].finalScore >= results[i].finalScore)
  }
  assert.ok(results.every((r) => typeof r.aiScore === 'number'), JSON.stringify(results.map((r) => r.flags)))
  assert.ok(results[0].matched.length > 0)
  const evidence = await recruiter.scoring.evidence(batch.batchId, results[0].resumeId)
  assert.equal(evidence.aiStatus, 'ok')
  assert.equal(evidence.ai.model, 'js-scripted-1')
  assert.ok(evidence.ai.verdicts.some((v) => v.verdict === 'met' && v.quoteFound))
  assert.ok(evidence.localComponents.some((c) => c.name === 'must_have'))

  // Personal data: the recruiter sees contacts; the viewer sees neither contacts nor
  // e-mail lookups.
  const withPii = await recruiter.candidates.get(results[0].resumeId)
  assert.ok(withPii.contacts, 'a recruiter sees contact details')
  const email = withPii.contacts.email
  assert.ok(email, JSON.stringify(withPii.contacts))
  // The corpus has each person in several formats: one e-mail, several resumes.
  assert.ok((await recruiter.candidates.findByEmail(email)).includes(results[0].resumeId))
  const viewer = await engine.session(tenant.tenantId, vic.userId)
  assert.equal(viewer.can('candidate_pii_read'), false)
  await assert.rejects(viewer.candidates.findByEmail(email), (err) => {
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'PERMISSION_DENIED')
    assert.match(err.message, /candidate_pii_read/)
    return true
  })
  const seen = await viewer.candidates.get(results[0].resumeId)
  assert.equal(seen.contacts ?? null, null)
  assert.equal((await viewer.scoring.results(batch.batchId))[0].candidateName ?? null, null)

  // Replay a job from scoring: cached model answers make it free.
  const jobs = await recruiter.jobs(batch.batchId)
  assert.equal(jobs.length, RESUMES + 1)
  const done = jobs.find((j) => j.status === 'completed')
  assert.deepEqual(done.steps, ['extract', 'parse', 'validate', 'score'])
  const replay = await recruiter.replay(done.jobId, 'score')
  assert.deepEqual(replay.droppedSteps, ['score'])
  const scoringCalls = model.calls.length
  await engine.runWorker(fastWorker)
  assert.equal(model.calls.length, scoringCalls, 'a replay reuses cached answers')

  // Everything above is audited, and the chain holds.
  const audit = await session.auditLog(500)
  const actions = audit.map((a) => a.action)
  for (const action of ['resume.read', 'resume.lookup', 'job.replay', 'batch.submit']) {
    assert.ok(actions.includes(action), `${action} in ${actions}`)
  }
  const chain = await session.verifyAuditChain()
  assert.equal(chain.ok, true)
}

test('the full scenario', async (t) => {
  await onEveryBackend(t, scenario)
})
