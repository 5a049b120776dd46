// Shared by the node:test files: the backends every scenario runs on, the evaluation
// corpus, and a host model written in JavaScript that answers like an LLM would.
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { randomUUID } from 'node:crypto'

const require = createRequire(import.meta.url)
export const rf = require('../index.js')
const pg = require('pg')

const here = dirname(fileURLToPath(import.meta.url))
export const repoRoot = join(here, '..', '..')
export const evalDir = join(repoRoot, '..', 'shared', 'eval')

/** The first `n` evaluation resumes (documents only: the `.json` files are answers and the manifest). */
export function evalResumes (n) {
  const dir = join(evalDir, 'resumes')
  return readdirSync(dir)
    .filter((f) => !f.endsWith('.json'))
    .sort()
    .slice(0, n)
    .map((f) => join(dir, f))
}

export function tempDir () {
  return mkdtempSync(join(tmpdir(), 'rf-node-'))
}

/** A SQLite database URL in a fresh directory. */
export function sqliteUrl (dir = tempDir()) {
  return `sqlite://${join(dir, 'rf.db')}?mode=rwc`
}

/**
 * A fresh PostgreSQL database for one test, dropped when the test ends; `null` (after
 * skipping the test) when no server is reachable, unless RESUMEFLOW_REQUIRE_PG=1.
 */
export async function postgresUrl (t) {
  const base = process.env.RESUMEFLOW_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432'
  const admin = new pg.Client({ connectionString: `${base}/postgres` })
  try {
    await admin.connect()
  } catch (e) {
    if (process.env.RESUMEFLOW_REQUIRE_PG === '1') throw e
    t.skip(`PostgreSQL unreachable: ${e.message}`)
    return null
  }
  const name = `rf_node_${randomUUID().replaceAll('-', '')}`
  await admin.query(`CREATE DATABASE ${name}`)
  t.after(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  })
  return `${base}/${name}`
}

/** Runs `fn(t, databaseUrl)` as one subtest per backend. */
export async function onEveryBackend (t, fn) {
  await t.test('sqlite', async (t) => fn(t, sqliteUrl()))
  await t.test('postgres', async (t) => {
    const url = await postgresUrl(t)
    if (url !== null) await fn(t, url)
  })
}

// --- the host's model ---------------------------------------------------------------

function block (content, label) {
  const open = `<${label}>\n`
  const close = `\n</${label}>`
  const start = content.indexOf(open)
  const end = content.lastIndexOf(close)
  const from = start < 0 ? 0 : start + open.length
  return content.slice(from, end < 0 ? content.length : Math.max(end, from))
}

/** The resume's own spelling of `needle`, whole words, case-insensitive. */
function quote (text, needle) {
  const n = needle.trim().toLowerCase()
  if (!n) return null
  const lower = text.toLowerCase()
  const word = /[\p{L}\p{N}]/u
  for (let at = lower.indexOf(n); at >= 0; at = lower.indexOf(n, at + 1)) {
    const end = at + n.length
    if (!word.test(lower[at - 1] ?? ' ') && !word.test(lower[end] ?? ' ')) {
      return text.slice(at, end)
    }
  }
  return null
}

/**
 * Judges each requirement line (`M1: Has the skill: Python`) against the resume between
 * `<resume>` tags: a skill or keyword found verbatim is met with that quote; any other
 * requirement is partial when the resume has a dated line, missing otherwise.
 */
export function scoreAnswer (content) {
  const resume = block(content, 'resume')
  const dated = resume.split('\n').find((l) => (l.match(/\d/g) ?? []).length >= 4)?.trim() ?? null
  const requirements = []
  let got = 0
  for (const line of content.split('\n')) {
    const m = /^([A-Z])(\d+): (.*)$/.exec(line)
    if (!m) continue
    const id = m[1] + m[2]
    const text = m[3]
    let needle = null
    if (text.startsWith('Has the skill: ')) needle = text.slice('Has the skill: '.length)
    else if (text.startsWith('Mentions "')) needle = text.slice('Mentions "'.length).split('"')[0]
    let verdict
    let q = null
    if (needle !== null) {
      q = quote(resume, needle)
      verdict = q === null ? 'missing' : 'met'
    } else {
      q = dated
      verdict = dated === null ? 'missing' : 'partial'
    }
    got += verdict === 'met' ? 1 : verdict === 'partial' ? 0.5 : 0
    requirements.push({ id, verdict, quote: q })
  }
  const overall = requirements.length ? (100 * got) / requirements.length : 50
  return JSON.stringify({
    requirements,
    overall_score: Math.round(overall * 10) / 10,
    rationale: `${got} of ${requirements.length} requirements supported by the resume.`
  })
}

/**
 * A host model: scores resumes as above and declines the other purposes (so criteria and
 * resumes are read heuristically, as when a real model refuses). With `rejectFirst`, its
 * first scoring call rejects, as a flaky network would. `calls` records every purpose.
 */
export function hostModel ({ rejectFirst = false, latencyMs = 0 } = {}) {
  const calls = []
  let rejected = false
  const llm = async (request) => {
    calls.push(request.purpose)
    if (latencyMs) await new Promise((resolve) => setTimeout(resolve, latencyMs))
    if (request.purpose !== 'score_resume') {
      throw new Error(`this model does not do ${request.purpose}`)
    }
    if (rejectFirst && !rejected) {
      rejected = true
      throw new Error('503 Service Unavailable')
    }
    const user = [...request.messages].reverse().find((m) => m.role === 'user' && m.content.includes('</'))
    return {
      text: scoreAnswer(user?.content ?? ''),
      usage: { promptTokens: 100, completionTokens: 50 },
      model: 'js-scripted'
    }
  }
  return { llm, calls }
}

/** Retry fast in tests; the defaults wait seconds between attempts. */
export const fastPolicy = { retries: 2, backoffMs: 5, maxBackoffMs: 20, timeoutMs: 5000 }
export const fastWorker = { concurrency: 4, pollIntervalMs: 20, retryBackoffMs: 10, rescueIntervalMs: 500 }
