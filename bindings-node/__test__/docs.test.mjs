// docs/node.md is a tutorial: its `js` blocks, in order, are one ES module. This runs it
// in a fresh directory (with `resumeflow` and `examples/` linked in), against a local
// OpenAI-compatible server that answers like a model, on SQLite and PostgreSQL.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, tempDir, onEveryBackend, scoreAnswer } from './helpers.mjs'

function tutorialSource () {
  const doc = readFileSync(join(repoRoot, 'docs', 'node.md'), 'utf8')
  const blocks = [...doc.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1])
  assert.ok(blocks.length >= 8, `found ${blocks.length} js blocks`)
  return blocks.join('\n')
}

/**
 * A local chat-completions endpoint: it scores resumes as the test model does and answers
 * anything else with 503, so criteria and resumes fall back to the heuristic readers.
 */
async function modelServer (t) {
  const seen = { score: 0, other: 0 }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => { body += chunk })
    req.on('end', () => {
      const { messages, model } = JSON.parse(body)
      const content = messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n')
      if (!content.includes('<resume>') || !/^[A-Z]\d+: /m.test(content)) {
        seen.other++
        res.writeHead(503).end('only scoring here')
        return
      }
      seen.score++
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        model,
        choices: [{ message: { role: 'assistant', content: scoreAnswer(content) } }],
        usage: { prompt_tokens: 100, completion_tokens: 50 }
      }))
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  return { url: `http://127.0.0.1:${server.address().port}`, seen }
}

/** Runs `file` with node in `cwd`; resolves with its output once it exits by itself. */
function run (file, cwd, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    const timer = setTimeout(() => { child.kill(); reject(new Error(`timed out:\n${stdout}\n${stderr}`)) }, 180_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

test('docs/node.md runs', async (t) => {
  const source = tutorialSource()
  await onEveryBackend(t, async (t, databaseUrl) => {
    const model = await modelServer(t)
    const dir = tempDir()
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(join(repoRoot, 'bindings-node'), join(dir, 'node_modules', 'resumeflow'), 'dir')
    symlinkSync(join(repoRoot, 'examples'), join(dir, 'examples'), 'dir')
    writeFileSync(join(dir, 'tutorial.mjs'), source)
    const env = { LLM_URL: model.url, LLM_MODEL: 'local-test-model' }
    if (databaseUrl.startsWith('postgres')) env.DATABASE_URL = databaseUrl
    const out = await run('tutorial.mjs', dir, env)
    assert.equal(out.code, 0, `${out.stdout}\n${out.stderr}`)
    const lines = out.stdout
    assert.match(lines, new RegExp(`connected to ${databaseUrl.startsWith('postgres') ? 'postgres' : 'sqlite'}`))
    assert.match(lines, /must have: .*Python/)
    assert.match(lines, /the upload was already_in_batch/)
    assert.match(lines, /batch completed: 6\/7 processed, 1 failed/)
    assert.match(lines, /^ 1\. /m)
    assert.match(lines, /top candidate: \S+/)
    assert.match(lines, /a viewer sees contacts: no/)
    assert.match(lines, /PERMISSION_DENIED: permission denied: candidate_pii_read/)
    assert.match(lines, /rtf: Jordan Lee, \d+ months of experience \(heuristic\)/)
    assert.ok(model.seen.score >= 6, JSON.stringify(model.seen))
    // Scores came from the model: no result fell back to the local score alone.
    assert.doesNotMatch(lines, /ai {3}-/)
  })
})
