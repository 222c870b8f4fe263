// The platform the HTTP fuzzer runs against: started like the suites start it (a fresh database
// on the real PostgreSQL server, its own Redis prefix, its own local chain), fixtures built with
// the job workers running, then the workers stopped and the indexer never started, so that the
// only thing that changes the database during the run is the request under test (the database
// digest is compared around every answer: a background job would look like a request's change).
import { startWorkers, workerSettingsDefault } from "../../api/jobs/workers.ts";
import { startTestPlatform, type TestPlatform } from "../../test/support/platform.ts";
import { buildFixtures } from "./fixtures.ts";
import type { FuzzFixtures } from "./openapiArbitraries.ts";

export type FuzzPlatform = { platform: TestPlatform; fixtures: FuzzFixtures; stop(): Promise<void> };

export async function startFuzzPlatform(): Promise<FuzzPlatform> {
  // A ticket's event stream ends after a second here, so a generated request that opens one answers in time.
  const platform = await startTestPlatform({ seed: false, workers: false, indexer: false, logLevel: "fatal", env: { SUPPORT_STREAM_SECONDS_MAX: "1" } });
  try {
    const workers = await startWorkers(platform.ctx, workerSettingsDefault);
    let fixtures: FuzzFixtures;
    try {
      fixtures = await buildFixtures(platform);
    } finally {
      await workers.close();
    }
    return { platform, fixtures, stop: () => platform.stopAll() };
  } catch (error) {
    await platform.stopAll();
    throw error;
  }
}
