// Reads every image a cases.jsonl lists (as io.inkflow.bench.ocr.OcrAccuracy --write-images writes it) with the
// JavaScript PP-OCR library @gutenye/ocr-node, on the pinned model files given here (never its own copies), and
// writes one JSON object per image: {"file": ..., "lines": [texts in the library's order]}.
//   node read.mjs --cases DIR/cases.jsonl --models MODEL_DIR --out js-lines.jsonl
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import Ocr from '@gutenye/ocr-node'

function args(argv) {
  const options = {}
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i]
    if (!['--cases', '--models', '--out'].includes(name) || i + 1 >= argv.length) {
      throw new Error(`expected --cases FILE --models DIR --out FILE, found '${argv.slice(2).join(' ')}'`)
    }
    options[name.slice(2)] = argv[i + 1]
  }
  for (const name of ['cases', 'models', 'out']) {
    if (!options[name]) {
      throw new Error(`--${name} is required (--cases FILE --models DIR --out FILE)`)
    }
  }
  return options
}

function modelFile(dir, name) {
  const file = path.resolve(dir, name)
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing; scripts/models/fetch-ppocr prints the model directory`)
  }
  return file
}

const options = args(process.argv)
const ocr = await Ocr.create({
  models: {
    detectionPath: modelFile(options.models, 'ch_PP-OCRv4_det_infer.onnx'),
    recognitionPath: modelFile(options.models, 'ch_PP-OCRv4_rec_infer.onnx'),
    dictionaryPath: modelFile(options.models, 'ppocr_keys_v1.txt'),
  },
})
const imageDir = path.dirname(path.resolve(options.cases))
const out = fs.createWriteStream(options.out, { encoding: 'utf8' })
const input = readline.createInterface({ input: fs.createReadStream(options.cases, { encoding: 'utf8' }), crlfDelay: Infinity })
let count = 0
const start = Date.now()
for await (const line of input) {
  if (!line.trim()) {
    continue
  }
  const { file } = JSON.parse(line)
  const lines = await ocr.detect(path.join(imageDir, file))
  out.write(`${JSON.stringify({ file, lines: lines.map((l) => l.text) })}\n`)
  count++
  if (count % 40 === 0) {
    console.error(`read.mjs: ${count} images, ${((Date.now() - start) / 1000).toFixed(0)} s`)
  }
}
await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())))
console.error(`read.mjs: read ${count} images in ${((Date.now() - start) / 1000).toFixed(1)} s into ${options.out}`)
