// The host's model misbehaving in every way a JavaScript function can: the engine retries,
// falls back to the local score, and never crashes or hangs; and a process that used the
// model exits by itself once its work is done.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { rf, evalDir, evalResumes, tempDir, sqliteUrl, hostModel, fastWorker } from './helpers.mjs'

/** Screens three resumes with `llm` and returns the results and the model's call count. */
async function screen (llm, llmPolicy) {
  const dir = tempDir()
  const engine = await rf.Engine.connect({
    databaseUrl: sqliteUrl(dir),
    storeUrl: `file://${join(dir, 'store')}`,
    llm,
    llmPolicy
  })
  await engine.migrate()
  const tenant = await engine.tenants.create({ name: 'T', slug: 't' })
  const owner = await engine.tenants.addOwner(tenant.tenantId, 'o@t.test')
  const s = await engine.session(tenant.tenantId, owner.userId)
  const jd = await s.jobDescriptions.create({
    title: 'Backend',
    text: readFileSync(join(evalDir, 'jds', 'jd-backend-engineer.md'), 'utf8')
  })
  const batch = await s.batches.create({ jdId: jd.jdId })
  for (const p of evalResumes(3)) await s.batches.addPath(batch.batchId, p)
  await s.batches.submit(batch.batchId)
  const stats = await engine.runWorker(fastWorker)
  assert.equal(stats.completed, 3, JSON.stringify(stats))
  return s.scoring.results(batch.batchId)
}

const quick = { retries: 1, backoffMs: 1, maxBackoffMs: 2, timeoutMs: 2000 }

function assertLocalOnly (results) {
  assert.equal(results.length, 3)
  for (const r of results) {
    assert.equal(r.aiScore ?? null, null)
    assert.ok(r.flags.includes('local_only'), JSON.stringify(r.flags))
    assert.equal(r.finalScore, r.localScore)
  }
}

test('a model that always rejects leaves the local score', async () => {
  let calls = 0
  const results = await screen(async () => {
    calls++
    throw new Error('502 Bad Gateway')
  }, quick)
  assertLocalOnly(results)
  assert.ok(results.some((r) => r.reasons.join(' ').includes('502 Bad Gateway')), JSON.stringify(results[0].reasons))
  assert.ok(calls >= 3 * 2, `each failure retried once (${calls} calls)`)
})

test('a model that throws synchronously is a transient error too', async () => {
  const results = await screen(() => { throw new TypeError('not a function of mine') }, quick)
  assertLocalOnly(results)
})

test('a model that resolves to neither a string nor { text } is rejected', async () => {
  const results = await screen(async () => 42, quick)
  assertLocalOnly(results)
  const results2 = await screen(async () => ({ answer: 'no text field' }), quick)
  assertLocalOnly(results2)
})

test('a model that never answers is cut off by the policy timeout', async () => {
  const started = Date.now()
  const results = await screen(() => new Promise(() => {}), { retries: 0, timeoutMs: 150 })
  assertLocalOnly(results)
  assert.ok(results.every((r) => r.flags.some((f) => f.includes('no answer within 150ms'))), JSON.stringify(results[0].flags))
  assert.ok(Date.now() - started < 60_000)
})

test('a model that rejects once is retried and its answer used', async () => {
  const model = hostModel({ rejectFirst: true })
  const results = await screen(model.llm, quick)
  assert.ok(results.every((r) => typeof r.aiScore === 'number'), JSON.stringify(results.map((r) => r.flags)))
  // 3 resumes scored, plus the one retried call.
  assert.equal(model.calls.filter((p) => p === 'score_resume').length, 4)
})

test('plain string answers are accepted', async () => {
  const model = hostModel()
  const results = await screen(async (req) => {
    const answer = await model.llm(req)
    return answer.text
  }, quick)
  assert.ok(results.every((r) => typeof r.aiScore === 'number'))
})

/** Runs `source` as an ES module in a child node process; it must exit by itself. */
function runChild (source) {
  const dir = tempDir()
  const file = join(dir, 'child.mjs')
  writeFileSync(file, source)
  const out = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(out.error, undefined, `the child did not exit by itself: ${out.error}`)
  assert.equal(out.status, 0, out.stderr)
  return out.stdout
}

/** Module source that sets up a batch of two resumes in a fresh database. */
const childPrelude = () => `
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
const require = createRequire(${JSON.stringify(join(process.cwd(), 'package.json'))})
const rf = require(${JSON.stringify(join(process.cwd(), 'index.js'))})
const { hostModel } = await import(${JSON.stringify(new URL('./helpers.mjs', import.meta.url).href)})
const dir = ${JSON.stringify(tempDir())}
const model = hostModel()
const engine = await rf.Engine.connect({
  databaseUrl: 'sqlite://' + join(dir, 'rf.db') + '?mode=rwc',
  storeUrl: 'file://' + join(dir, 'store'),
  llm: model.llm,
  llmPolicy: { retries: 1, backoffMs: 1 },
})
await engine.migrate()
const tenant = await engine.tenants.create({ name: 'T', slug: 't' })
const owner = await engine.tenants.addOwner(tenant.tenantId, 'o@t.test')
const s = await engine.session(tenant.tenantId, owner.userId)
const jd = await s.jobDescriptions.create({ title: 'Backend', text: readFileSync(${JSON.stringify(join(evalDir, 'jds', 'jd-backend-engineer.md'))}, 'utf8') })
const batch = await s.batches.create({ jdId: jd.jdId })
for (const p of ${JSON.stringify(evalResumes(2))}) await s.batches.addPath(batch.batchId, p)
await s.batches.submit(batch.batchId)
`

test('a process with a model and a finished worker exits by itself', () => {
  const out = runChild(childPrelude() + `
const stats = await engine.runWorker({ pollIntervalMs: 20 })
const results = await s.scoring.results(batch.batchId)
console.log(JSON.stringify({ completed: stats.completed, ai: results.filter((r) => typeof r.aiScore === 'number').length }))
`)
  assert.deepEqual(JSON.parse(out.trim().split('\n').pop()), { completed: 2, ai: 2 })
})

test('a background worker stops on request and the process exits', () => {
  const out = runChild(childPrelude() + `
const worker = engine.startWorker({ pollIntervalMs: 20 })
if (!worker.running) throw new Error('not running')
let progress
do {
  await new Promise((resolve) => setTimeout(resolve, 50))
  progress = await s.batches.status(batch.batchId)
} while (progress.status !== 'completed')
const [stats, again] = await Promise.all([worker.stop(), worker.stop()])
console.log(JSON.stringify({ completed: stats.completed, running: worker.running, same: JSON.stringify(again) === JSON.stringify(stats) }))
`)
  assert.deepEqual(JSON.parse(out.trim().split('\n').pop()), { completed: 2, running: false, same: true })
})
