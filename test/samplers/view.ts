/** Minimal StudyView / FrozenTrial builders for sampler unit tests (no Study involved). */
import type { Distribution, ParamValue } from '../../src/distributions/index.js';
import type { StudyView } from '../../src/samplers/base.js';
import type { Storage } from '../../src/storage/base.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';

let n = 0;

export async function makeView(storage: Storage = new MemoryStorage(), studyName = `view-${n++}`): Promise<StudyView> {
  let studyId: number;
  try {
    studyId = await storage.createStudy(studyName, ['minimize']);
  } catch {
    studyId = await storage.getStudyIdFromName(studyName);
  }
  return {
    studyId,
    studyName,
    directions: ['minimize'],
    storage,
    getTrials: (o) => storage.getAllTrials(studyId, o?.states),
    stop: () => {},
  };
}

export function fakeTrial(
  number: number,
  systemAttrs: Record<string, unknown> = {},
  extra: { state?: TrialState; distributions?: Record<string, Distribution>; params?: Record<string, ParamValue> } = {},
): FrozenTrial {
  return {
    trialId: number,
    number,
    state: extra.state ?? TrialState.RUNNING,
    values: null,
    params: extra.params ?? {},
    internalParams: {},
    distributions: extra.distributions ?? {},
    userAttrs: {},
    systemAttrs,
    intermediateValues: new Map(),
    datetimeStart: new Date(),
    datetimeComplete: null,
  };
}
