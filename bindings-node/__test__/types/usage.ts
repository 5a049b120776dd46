// Compiled by types.test.mjs with `tsc --noEmit --strict`, never run: the generated
// index.d.ts must describe the API precisely enough that correct code type-checks and
// wrong code does not (each @ts-expect-error line must be an error).
import {
  Engine,
  parseDocument,
  type AddedFile,
  type Criteria,
  type Evidence,
  type Knockout,
  type LlmAnswer,
  type LlmRequest,
  type Permission,
  type RankedResult,
  type Role,
  type WorkerStats
} from '../../index.js'

async function model (request: LlmRequest): Promise<string | LlmAnswer> {
  if (request.purpose === 'score_resume') {
    return { text: '{}', usage: { promptTokens: 1, completionTokens: 1 } }
  }
  return request.messages.map((m) => m.content).join('\n')
}

export async function tour (): Promise<number> {
  const engine: Engine = await Engine.connect({ databaseUrl: 'sqlite::memory:', llm: model, llmPolicy: { timeoutMs: 10 } })
  const backend: 'postgres' | 'sqlite' = engine.backend
  const tenant = await engine.tenants.create({ name: 'A', slug: 'a' })
  const owner = await engine.tenants.addOwner(tenant.tenantId, 'o@a.test')
  const session = await engine.session(tenant.tenantId, owner.userId)
  const role: Role = session.actor.role
  const perms: Permission[] = session.actor.permissions
  const jd = await session.jobDescriptions.create({ title: 'T', parameters: { must_have: ['Go'], anything: 1 } })
  const criteria: Criteria = await session.jobDescriptions.criteria(jd.jdId)
  const knockouts: Knockout[] = [{ rule: 'must_have_coverage', min: 50 }, { rule: 'min_years' }]
  await session.profiles.create({ name: 'p', knockouts }, true)
  const batch = await session.batches.create({ jdId: jd.jdId })
  const added: AddedFile = await session.batches.addBytes(batch.batchId, 'a.txt', Buffer.from('x'))
  if (added.disposition === 'rejected') console.log(added.rejection?.code)
  const stats: WorkerStats = await engine.runWorker({ concurrency: 2 })
  const worker = engine.startWorker()
  await worker.stop()
  const results: RankedResult[] = await session.scoring.results(batch.batchId)
  const evidence: Evidence = await session.scoring.evidence(batch.batchId, results[0].resumeId)
  const verdict: 'met' | 'partial' | 'missing' | undefined = evidence.ai?.verdicts[0]?.verdict
  const parsed = await parseDocument(Buffer.from('x'), { llm: model })
  const replay = await session.replay('id', 'score')
  const migrated: void = await engine.migrate()

  // @ts-expect-error: not a role
  await session.users.create({ email: 'x@a.test', role: 'emperor' })
  // @ts-expect-error: must_have is a list of skills
  await session.jobDescriptions.create({ title: 'T', parameters: { must_have: 'Go' } })
  // @ts-expect-error: not a step
  await session.replay('id', 'render')
  // @ts-expect-error: must_have_coverage needs its minimum
  const bad: Knockout = { rule: 'must_have_coverage' }
  // @ts-expect-error: a model must return a Promise
  await Engine.connect({ databaseUrl: 'x', llm: (r: LlmRequest) => r.purpose })

  return [backend, role, perms, criteria, stats, verdict, parsed, replay, migrated, bad].length
}
