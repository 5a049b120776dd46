// The generated index.d.ts type-checks under `--strict`, and describes the API precisely:
// types/usage.ts compiles, and its @ts-expect-error lines (wrong roles, steps, knock-outs,
// a model that returns no Promise) are errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')

test('index.d.ts and a typed usage compile with tsc --strict', () => {
  const out = spawnSync(process.execPath, [
    join(pkg, 'node_modules', 'typescript', 'bin', 'tsc'),
    '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--types', 'node',
    join(pkg, '__test__', 'types', 'usage.ts')
  ], { encoding: 'utf8', cwd: pkg })
  assert.equal(out.status, 0, out.stdout + out.stderr)
})
