// Deletes every Redis key under a prefix (a benchmark's or a test suite's queues, events and
// throttles). A run leaves tens of thousands of finished jobs under its prefix (kept an hour
// for job-id de-duplication); left in Redis they made the next benchmark runs measurably
// slower here, and test suites would leave them behind on the machine's shared Redis.
import { Redis } from "ioredis";

export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
