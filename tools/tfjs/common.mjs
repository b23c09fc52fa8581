// common.mjs — shared helpers for augur's TensorFlow.js reference tools.
//
// Used by tools/tfjs/make_fixtures.mjs (numerical parity fixtures) and
// bench/tfjs_bench.mjs (speed baseline). Provides:
//   * initWasm(): selects the tfjs-backend-wasm backend, non-threaded SIMD
//     flavour, exactly 1 XNNPACK thread, .wasm binaries read from the local
//     node_modules (no network), and reports what it got;
//   * loadGraphModel(dir, name): loads <dir>/<name>.json + its weight shards
//     through a custom in-memory IOHandler (no fetch, no network), so
//     tfjs-converter decodes the weightsManifest itself (incl. float16
//     quantized weights);
//   * modelIO(model): input/output node names in the model's output order;
//   * small CLI helpers (option parsing, default models directory).
//
// Nothing here uses @tensorflow/tfjs-node: only the pure-JS core/converter
// and the prebuilt .wasm files shipped inside the npm package.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import * as tfconv from '@tensorflow/tfjs-converter';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';

export { tf, tfconv, tfwasm };

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Repository root (tools/tfjs/../..). */
export const REPO_ROOT = path.resolve(HERE, '..', '..');

/** The seven models augur runs, with their NHWC input size (batch 1). */
export const MODELS = [
  { name: 'blazeface-front', h: 128, w: 128, c: 3 },
  { name: 'blazeface-back', h: 256, w: 256, c: 3 },
  { name: 'facemesh-detection-short', h: 128, w: 128, c: 3 },
  { name: 'facemesh-detection-full', h: 192, w: 192, c: 3 },
  { name: 'facemesh', h: 192, w: 192, c: 3 },
  { name: 'iris', h: 64, w: 64, c: 3 },
  { name: 'emotion', h: 64, w: 64, c: 1 },
];

/** Default model dir: $AUGUR_MODELS, else <repo>/.cache/human-models-3.0.4. */
export function defaultModelsDir() {
  return process.env.AUGUR_MODELS || path.join(REPO_ROOT, '.cache', 'human-models-3.0.4');
}

/**
 * Minimal `--key value` / `--flag` parser. `spec` maps option name to its
 * default (a boolean default makes it a flag). Unknown options are fatal.
 */
export function parseArgs(argv, spec, usage) {
  const opts = { ...spec };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      process.stdout.write(usage + '\n');
      process.exit(0);
    }
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m || !(m[1] in spec)) {
      process.stderr.write(`unknown argument: ${a}\n${usage}\n`);
      process.exit(2);
    }
    const key = m[1];
    if (typeof spec[key] === 'boolean') {
      opts[key] = true;
    } else {
      const v = m[2] !== undefined ? m[2] : argv[++i];
      if (v === undefined) {
        process.stderr.write(`missing value for --${key}\n`);
        process.exit(2);
      }
      opts[key] = v;
    }
  }
  return opts;
}

/**
 * Initialise the wasm backend: SIMD, no threads, 1 XNNPACK thread.
 *
 * In Node, tfjs-backend-wasm already reports WASM_HAS_MULTITHREAD_SUPPORT =
 * false (so it never picks the threaded-simd binary); we set it explicitly
 * anyway so the choice does not depend on that detail. The Emscripten loader
 * reads the binary with fs when given a plain file-system path, so pointing
 * setWasmPaths at the package's dist/ directory keeps everything offline.
 *
 * Returns { simd, threadsSupported, threads, wasmFile, versions } and prints
 * a one-line description to stderr unless `quiet`.
 */
export async function initWasm({ quiet = false } = {}) {
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
  tfwasm.setWasmPaths(wasmDir + path.sep);
  tfwasm.setThreadsCount(1);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  if (!simd) {
    throw new Error('this Node/V8 has no WebAssembly SIMD; refusing to measure the non-SIMD flavour');
  }
  // Record which .wasm binary the Emscripten loader actually reads (it uses
  // fs.readFileSync / fs.readFile in Node), so the report is observed rather
  // than inferred. The fs functions are restored right after.
  const loaded = [];
  const saved = { readFile: fs.readFile, readFileSync: fs.readFileSync };
  for (const k of Object.keys(saved)) {
    fs[k] = function (file, ...rest) {
      if (String(file).endsWith('.wasm')) loaded.push(String(file));
      return saved[k].call(this, file, ...rest);
    };
  }
  let ok;
  try {
    ok = await tf.setBackend('wasm');
    await tf.ready();
  } finally {
    Object.assign(fs, saved);
  }
  if (!ok || tf.getBackend() !== 'wasm') throw new Error('could not initialise the tfjs wasm backend');
  if (loaded.length !== 1) throw new Error(`expected one .wasm binary to be read, saw: ${loaded.join(', ') || 'none'}`);
  const info = {
    simd,
    threadsSupported: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
    threads: tfwasm.getThreadsCount(),
    wasmFile: loaded[0],
    versions: {
      'tfjs-core': tf.version_core,
      'tfjs-converter': tfconv.version_converter,
      'tfjs-backend-wasm': tfwasm.version_wasm,
      node: process.versions.node,
      v8: process.versions.v8,
    },
  };
  if (info.threads !== 1) throw new Error(`wasm backend uses ${info.threads} threads, expected 1`);
  if (path.basename(info.wasmFile) !== 'tfjs-backend-wasm-simd.wasm') {
    throw new Error(`unexpected wasm flavour: ${info.wasmFile}`);
  }
  if (!quiet) {
    process.stderr.write(
      `tfjs-wasm ${info.versions['tfjs-backend-wasm']}: simd=${info.simd ? 'yes' : 'no'} ` +
      `threads=${info.threads} (threaded build ${info.threadsSupported ? 'available' : 'not used'}) ` +
      `binary=${path.basename(info.wasmFile)} node=${info.versions.node}\n`);
  }
  return info;
}

/**
 * Load a TF.js graph model from local files without any network access.
 *
 * Reads <dir>/<name>.json, then every shard listed in weightsManifest (paths
 * relative to the json), concatenates the shards in manifest order and hands
 * { modelTopology, weightSpecs, weightData, ... } to tfjs-converter, which
 * decodes dtypes and quantization (e.g. float16) from the specs.
 */
export async function loadGraphModel(dir, name) {
  const jsonPath = path.join(dir, `${name}.json`);
  const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const weightSpecs = [];
  const shards = [];
  for (const group of json.weightsManifest || []) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) shards.push(fs.readFileSync(path.join(dir, p)));
  }
  const all = Buffer.concat(shards);
  // Copy into a fresh, exactly sized ArrayBuffer (Buffer may share a pool).
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const handler = {
    load: async () => ({
      modelTopology: json.modelTopology,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      signature: json.signature,
      userDefinedMetadata: json.userDefinedMetadata,
      modelInitializer: json.modelInitializer,
      weightSpecs,
      weightData,
    }),
  };
  return tfconv.loadGraphModel(handler);
}

/**
 * Input/output node names of a loaded GraphModel.
 * model.inputs / model.outputs carry graph node names (e.g. "Identity_1"),
 * in the order of the model's signature (or graph order when it has none);
 * model.outputNodes may instead carry signature keys, which we do not want.
 */
export function modelIO(model) {
  const strip = (n) => n.replace(/:\d+$/, '');
  return {
    inputs: model.inputs.map((t) => ({ name: strip(t.name), shape: t.shape, dtype: t.dtype })),
    outputs: model.outputs.map((t) => ({ name: strip(t.name), shape: t.shape, dtype: t.dtype })),
  };
}
