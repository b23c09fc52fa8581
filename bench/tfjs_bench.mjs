#!/usr/bin/env node
// tfjs_bench.mjs — TensorFlow.js speed baseline for augur's seven models.
//
// Runs each model in tfjs-backend-wasm (SIMD, exactly 1 thread; see
// tools/tfjs/common.mjs) at batch 1. One timed run = model.execute() on a
// fixed float32 input tensor created once + dataSync() of every output, timed
// with performance.now(). Prints one JSON object per model on stdout:
//   {"model":..., "runtime":"tfjs-wasm", "simd":true, "threads":1, "runs":N,
//    "median_ms":..., "min_ms":..., "p90_ms":...}
// and a human-readable summary on stderr.
//
// Needs `npm ci` (or `npm install`) in tools/tfjs first.
// Usage: node bench/tfjs_bench.mjs [--models DIR] [--runs 50] [--warmup 10] [--only a,b]

import { performance } from 'node:perf_hooks';

import { MODELS, defaultModelsDir, initWasm, loadGraphModel, modelIO, parseArgs, tf } from '../tools/tfjs/common.mjs';

const USAGE = `usage: node bench/tfjs_bench.mjs [--models DIR] [--runs N] [--warmup N] [--only a,b]
  --models DIR  model dir (default: $AUGUR_MODELS or <repo>/.cache/human-models-3.0.4)
  --runs N      timed runs per model (default 50)
  --warmup N    untimed runs first (default 10)
  --only LIST   comma-separated subset of: ${MODELS.map((m) => m.name).join(',')}`;

/** Value at quantile q of an ascending array (nearest-rank, q in (0,1]). */
function quantile(sorted, q) {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

function median(sorted) {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

const round3 = (v) => Math.round(v * 1000) / 1000;

async function main() {
  const opts = parseArgs(process.argv.slice(2), {
    models: defaultModelsDir(), runs: '50', warmup: '10', only: '',
  }, USAGE);
  const runs = Number.parseInt(opts.runs, 10);
  const warmup = Number.parseInt(opts.warmup, 10);
  if (!(runs > 0) || !(warmup >= 0)) throw new Error('--runs must be > 0 and --warmup >= 0');
  const only = opts.only ? opts.only.split(',').map((s) => s.trim()) : null;
  for (const n of only || []) {
    if (!MODELS.some((m) => m.name === n)) throw new Error(`unknown model: ${n}`);
  }

  const info = await initWasm();
  const summary = [];
  for (const m of MODELS) {
    if (only && !only.includes(m.name)) continue;
    const model = await loadGraphModel(opts.models, m.name);
    const io = modelIO(model);
    const outNames = io.outputs.map((o) => o.name);
    // Fixed input, created once: values in [-1, 1) from a simple LCG.
    const n = m.h * m.w * m.c;
    const data = new Float32Array(n);
    let s = 12345;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      data[i] = s / 2147483648 - 1;
    }
    const x = tf.tensor(data, [1, m.h, m.w, m.c], 'float32');
    const feeds = { [io.inputs[0].name]: x };

    const once = () => {
      const outs = [].concat(model.execute(feeds, outNames));
      for (const t of outs) t.dataSync();
      tf.dispose(outs);
    };
    for (let i = 0; i < warmup; i++) once();
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      once();
      times.push(performance.now() - t0);
    }
    x.dispose();
    model.dispose();

    times.sort((a, b) => a - b);
    const rec = {
      model: m.name,
      runtime: 'tfjs-wasm',
      simd: info.simd,
      threads: info.threads,
      runs,
      median_ms: round3(median(times)),
      min_ms: round3(times[0]),
      p90_ms: round3(quantile(times, 0.9)),
    };
    process.stdout.write(JSON.stringify(rec) + '\n');
    summary.push(rec);
  }
  process.stderr.write(`tfjs-wasm ${info.versions['tfjs-backend-wasm']} (simd=${info.simd}, threads=${info.threads}), ` +
    `${runs} runs after ${warmup} warm-up, median/min/p90 ms: ` +
    summary.map((r) => `${r.model} ${r.median_ms}/${r.min_ms}/${r.p90_ms}`).join('; ') + '\n');
}

main().catch((e) => {
  process.stderr.write(`tfjs_bench: ${e.stack || e}\n`);
  process.exit(1);
});
