/**
 * The folder checkpoint store: one folder per key holding `model.json` and `weights.bin`, the layout of
 * tfjs-node's `file://` handler (which only tfjs-node has, hence this writer of our own on node:fs).
 *
 * A save writes a fresh temp folder beside the target, then swaps it in with renames: a reader sees the
 * old checkpoint or the new one, and a process killed mid-save leaves at most a `.tmp-` folder behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { IOError, NotFoundError } from '../../errors.js';
import { ioReason } from '../../util/io-reason.js';
import { invalid, options } from '../../validate.js';
import { checkKey, weightBytes, type CheckpointArtifacts, type CheckpointStore } from './store.js';

export interface FolderCheckpointStoreOptions {
  /** Remove the whole folder on close() (default: true for a temp folder made here, false for yours). */
  removeOnClose?: boolean;
}

export interface FolderCheckpointStore extends CheckpointStore {
  /** The folder the checkpoints are in. */
  readonly dir: string;
  close(): Promise<void>;
}

const MODEL_JSON = 'model.json';
const WEIGHTS = 'weights.bin';

/**
 * A store writing under `dir` (created when missing); without `dir`, a fresh folder under the system's
 * temp dir that close() removes.
 */
export function folderCheckpointStore(dir?: string, opts?: FolderCheckpointStoreOptions): FolderCheckpointStore {
  const o = options<FolderCheckpointStoreOptions>('folderCheckpointStore options', opts, ['removeOnClose']);
  if (dir !== undefined && (typeof dir !== 'string' || dir.length === 0)) throw invalid('dir', 'a folder path', dir);
  if (o.removeOnClose !== undefined && typeof o.removeOnClose !== 'boolean') throw invalid('removeOnClose', 'a boolean', o.removeOnClose);
  let root: string;
  try {
    if (dir === undefined) {
      root = mkdtempSync(join(tmpdir(), 'tunable-pbt-'));
    } else {
      root = resolve(dir);
      mkdirSync(root, { recursive: true });
    }
  } catch (err) {
    throw new IOError(`Cannot create the checkpoint folder ${JSON.stringify(dir ?? tmpdir())}: ${ioReason(err)}`, { cause: err });
  }
  const removeOnClose = o.removeOnClose ?? dir === undefined;

  return {
    dir: root,
    async save(key, artifacts) {
      const target = join(root, checkKey(key));
      const tmp = join(root, `.tmp-${key}-${randomBytes(6).toString('hex')}`);
      const json = {
        modelTopology: artifacts.modelTopology ?? null,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        trainingConfig: artifacts.trainingConfig,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: [WEIGHTS], weights: artifacts.weightSpecs ?? [] }],
      };
      try {
        await mkdir(tmp);
        await writeFile(join(tmp, WEIGHTS), new Uint8Array(weightBytes(artifacts)));
        await writeFile(join(tmp, MODEL_JSON), JSON.stringify(json));
        // A folder cannot be renamed onto a non-empty one: move the old one aside first.
        const old = `${tmp}-old`;
        let hadOld = true;
        try {
          await rename(target, old);
        } catch (err) {
          if ((err as { code?: string }).code !== 'ENOENT') throw err;
          hadOld = false;
        }
        await rename(tmp, target);
        if (hadOld) await rm(old, { recursive: true, force: true });
      } catch (err) {
        await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
        throw new IOError(`Cannot save checkpoint ${JSON.stringify(key)} under ${JSON.stringify(root)}: ${ioReason(err)}`, { cause: err });
      }
    },
    async load(key) {
      const folder = join(root, checkKey(key));
      let text: string;
      let bytes: Buffer;
      try {
        text = await readFile(join(folder, MODEL_JSON), 'utf8');
        bytes = await readFile(join(folder, WEIGHTS));
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') throw new NotFoundError(`No checkpoint ${JSON.stringify(key)} in ${JSON.stringify(root)}`);
        throw new IOError(`Cannot read checkpoint ${JSON.stringify(key)} from ${JSON.stringify(root)}: ${ioReason(err)}`, { cause: err });
      }
      const json = JSON.parse(text) as {
        modelTopology: object | null;
        format?: string;
        generatedBy?: string;
        convertedBy?: string | null;
        trainingConfig?: CheckpointArtifacts['trainingConfig'];
        userDefinedMetadata?: CheckpointArtifacts['userDefinedMetadata'];
        weightsManifest: { weights: NonNullable<CheckpointArtifacts['weightSpecs']> }[];
      };
      const artifacts: CheckpointArtifacts = {
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        // A copy: Buffer slices share Node's pool, and the caller owns what it gets.
        weightData: new Uint8Array(bytes).buffer,
      };
      if (json.modelTopology !== null) artifacts.modelTopology = json.modelTopology;
      if (json.format !== undefined) artifacts.format = json.format;
      if (json.generatedBy !== undefined) artifacts.generatedBy = json.generatedBy;
      if (json.convertedBy !== undefined) artifacts.convertedBy = json.convertedBy;
      if (json.trainingConfig !== undefined) artifacts.trainingConfig = json.trainingConfig;
      if (json.userDefinedMetadata !== undefined) artifacts.userDefinedMetadata = json.userDefinedMetadata;
      return artifacts;
    },
    async delete(key) {
      await rm(join(root, checkKey(key)), { recursive: true, force: true });
    },
    async close() {
      if (removeOnClose) await rm(root, { recursive: true, force: true });
    },
  };
}
