// The platform's public chain settings (GET /api/config/public), fetched once per page load,
// signed in or not (no session needed).
import { answer, createApiClient } from "./client.ts";
import type { PublicConfig } from "./types.ts";

export type { PublicConfig };

let cached: Promise<PublicConfig | undefined> | undefined;

export function fetchPublicConfig(): Promise<PublicConfig | undefined> {
  cached ??= answer(createApiClient({ baseUrl: "", token: () => undefined }).GET("/api/config/public")).catch(() => undefined);
  return cached;
}
