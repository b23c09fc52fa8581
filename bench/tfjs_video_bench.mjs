#!/usr/bin/env node
// tfjs_video_bench.mjs — the TensorFlow.js reference of bench/video_bench.sh:
// per video frame, what a tfjs face-expression app runs (as the Human
// library does with its default models): the BlazeFace detector on the
// whole frame (resized to 128x128), FaceMesh on the face crop (192x192) and
// the emotion network on the grey face crop (64x64), each followed by
// dataSync() of every output, in tfjs-backend-wasm (SIMD, exactly 1 thread;
// tools/tfjs/common.mjs).
//
// Frames are read from a file of raw RGB24 frames decoded beforehand by
// ffmpeg (decoding is NOT timed here, while augur's figure includes it), and
// the crop box is the face box given with --box (decoding the detector's
// anchors is not timed either): both favour tfjs.
//
// Prints one JSON object on stdout:
//   {"runtime":"tfjs-wasm","frames":N,"seconds":S,"fps":F,"ms_per_frame":M}
// Usage: node bench/tfjs_video_bench.mjs --frames FILE --width W --height H --box x1,y1,x2,y2 [--models DIR] [--warmup 5]

import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

import { defaultModelsDir, initWasm, loadGraphModel, modelIO, parseArgs, tf } from '../tools/tfjs/common.mjs';

const USAGE = `usage: node bench/tfjs_video_bench.mjs --frames FILE --width W --height H --box x1,y1,x2,y2 [--models DIR] [--warmup N]`;

async function main() {
  const o = parseArgs(process.argv.slice(2), {
    frames: '', width: '', height: '', box: '', models: defaultModelsDir(), warmup: '5',
  }, USAGE);
  const W = Number.parseInt(o.width, 10), H = Number.parseInt(o.height, 10), warmup = Number.parseInt(o.warmup, 10);
  const box = o.box.split(',').map(Number);
  if (!o.frames || !(W > 0) || !(H > 0) || box.length !== 4 || box.some((v) => !Number.isFinite(v))) {
    process.stderr.write(USAGE + '\n');
    process.exit(2);
  }
  await initWasm({ quiet: true });
  const det = await loadGraphModel(o.models, 'facemesh-detection-short');
  const mesh = await loadGraphModel(o.models, 'facemesh');
  const emo = await loadGraphModel(o.models, 'emotion');
  const run = (model, x) => {
    const io = modelIO(model);
    const outs = [].concat(model.execute({ [io.inputs[0].name]: x }, io.outputs.map((q) => q.name)));
    for (const t of outs) t.dataSync();
    tf.dispose(outs);
  };
  // square crop box 1.5x the face, normalised for cropAndResize: [y1, x1, y2, x2]
  const cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2, s = 0.75 * Math.max(box[2] - box[0], box[3] - box[1]);
  const crop = tf.tensor2d([[(cy - s) / H, (cx - s) / W, (cy + s) / H, (cx + s) / W]]);
  const frameBytes = W * H * 3;
  const buf = Buffer.alloc(frameBytes);
  const fd = fs.openSync(o.frames, 'r');
  const total = Math.floor(fs.fstatSync(fd).size / frameBytes);
  const once = (i) => {
    fs.readSync(fd, buf, 0, frameBytes, i * frameBytes);
    tf.tidy(() => {
      const img = tf.cast(tf.tensor4d(new Uint8Array(buf.buffer, buf.byteOffset, frameBytes), [1, H, W, 3], 'int32'), 'float32');
      run(det, tf.sub(tf.div(tf.image.resizeBilinear(img, [128, 128]), 127.5), 1));
      run(mesh, tf.div(tf.image.cropAndResize(img, crop, [0], [192, 192]), 255));
      const face = tf.image.cropAndResize(img, crop, [0], [64, 64]);
      run(emo, tf.div(tf.mean(face, 3, true), 255));
    });
  };
  for (let i = 0; i < Math.min(warmup, total); i++) once(i);
  const t0 = performance.now();
  for (let i = 0; i < total; i++) once(i);
  const sec = (performance.now() - t0) / 1000;
  fs.closeSync(fd);
  const r = { runtime: 'tfjs-wasm', frames: total, seconds: +sec.toFixed(3), fps: +(total / sec).toFixed(2),
    ms_per_frame: +((1000 * sec) / total).toFixed(3) };
  process.stdout.write(JSON.stringify(r) + '\n');
}

main().catch((e) => {
  process.stderr.write(`tfjs_video_bench: ${e.stack || e}\n`);
  process.exit(1);
});
