// The addon loads, migrates real databases, and rejects with coded errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { rf, sqliteUrl, postgresUrl } from './helpers.mjs'

const require = createRequire(import.meta.url)
const pg = require('pg')

test('version', () => {
  assert.match(rf.version(), /^\d+\.\d+\.\d+$/)
})

test('migrate sqlite, twice', async () => {
  const url = sqliteUrl()
  await rf.migrate(url)
  await rf.migrate(url)
})

test('migrate postgres', async (t) => {
  const url = await postgresUrl(t)
  if (url === null) return
  await rf.migrate(url)
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  const { rows } = await c.query('SELECT count(*)::int AS n FROM resumeflow_migrations')
  await c.end()
  assert.equal(rows[0].n, 15)
})

test('bad url rejects with a code', async () => {
  await assert.rejects(rf.migrate('mysql://nowhere/x'), (err) => {
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'CONFIG')
    assert.match(err.message, /mysql/)
    return true
  })
})
