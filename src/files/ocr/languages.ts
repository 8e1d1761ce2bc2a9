/**
 * OCR languages and where their trained data lies: each language is the npm package @tesseract.js-data/<code>
 * (installed with the server's dependencies, like `eng`, or added with `npm install @tesseract.js-data/deu`). The
 * data is read from node_modules only: nothing is downloaded, nothing is cached anywhere else.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { ConfigError } from "../../config.js";

export interface OcrLanguage {
  /** Tesseract's code, e.g. "eng", "deu", "chi_sim". */
  code: string;
  /** The gzipped .traineddata file in the language's package. */
  file: string;
}

// The LSTM model with integer weights (what tesseract.js itself fetches for its default LSTM engine), else the
// package's larger model that also carries the legacy engine's data.
const MODEL_DIRS = ["4.0.0_best_int", "4.0.0"];

const require = createRequire(import.meta.url);

/** Each code's trained data file. @throws ConfigError naming the package to install for a missing language */
export function resolveLanguages(codes: readonly string[]): OcrLanguage[] {
  if (codes.length === 0) throw new ConfigError("OCR_LANGUAGES names no language: set e.g. OCR_LANGUAGES=eng, or leave it empty to turn OCR off.");
  return codes.map((code) => ({ code, file: trainedData(code) }));
}

function trainedData(code: string): string {
  const pkg = `@tesseract.js-data/${code}`;
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new ConfigError(
      `OCR_LANGUAGES names "${code}", whose trained data is not installed: run \`npm install ${pkg}\` ` +
        `(the code must be one of Tesseract's, e.g. eng, deu, fra, chi_sim), or leave "${code}" out of OCR_LANGUAGES.`,
    );
  }
  for (const model of MODEL_DIRS) {
    const file = path.join(dir, model, `${code}.traineddata.gz`);
    if (fs.existsSync(file)) return file;
  }
  throw new ConfigError(`OCR_LANGUAGES names "${code}", but ${pkg} holds no ${code}.traineddata.gz (looked in ${MODEL_DIRS.join(", ")}): reinstall it with \`npm install ${pkg}\`.`);
}
