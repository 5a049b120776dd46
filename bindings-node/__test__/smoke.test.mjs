// The addon loads, migrates real databases, and rejects with coded errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { randomUUID } from 'node:crypto'

const require = createRequire(import.meta.url)
const rf = require('../index.js')
const pg = require('pg')

test('version', () => {
  assert.match(rf.version(), /^\d+\.\d+\.\d+$/)
})

test('migrate sqlite, twice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rf-node-'))
  const url = `sqlite://${join(dir, 'rf.db')}?mode=rwc`
  await rf.migrate(url)
  await rf.migrate(url)
})

test('migrate postgres', async (t) => {
  const base = process.env.RESUMEFLOW_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432'
  const admin = new pg.Client({ connectionString: `${base}/postgres` })
  try {
    await admin.connect()
  } catch (e) {
    if (process.env.RESUMEFLOW_REQUIRE_PG === '1') throw e
    t.skip(`PostgreSQL unreachable: ${e.message}`)
    return
  }
  const name = `rf_node_${randomUUID().replaceAll('-', '')}`
  await admin.query(`CREATE DATABASE ${name}`)
  try {
    await rf.migrate(`${base}/${name}`)
    const c = new pg.Client({ connectionString: `${base}/${name}` })
    await c.connect()
    const { rows } = await c.query('SELECT count(*)::int AS n FROM resumeflow_migrations')
    await c.end()
    assert.equal(rows[0].n, 11)
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  }
})

test('bad url rejects with a code', async () => {
  await assert.rejects(rf.migrate('mysql://nowhere/x'), (err) => {
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'CONFIG')
    assert.match(err.message, /mysql/)
    return true
  })
})
