// The master key ring: the current master key (MASTER_KEY / MASTER_KEY_ID) that wraps new and
// re-wrapped shop data keys, and the previous ones (PREVIOUS_MASTER_KEYS) that stay readable
// during a rotation. Entry points build one ring from the configuration and pass it down.
//
// The ring also carries a small cache of unwrapped shop data keys: unwrapping is cheap, but
// the import and fulfilment paths ask for the same shop's key many times a second. The cache
// is bounded (dataKeyCacheSizeMax) and keyed by the wrapped bytes, so a re-wrapped key is a
// new entry and the old one ages out.
import { ConfigError, requireSetting, type Config } from "../../core/config.ts";

export type MasterKey = { id: string; key: Buffer };

export type MasterKeyRing = {
  current: MasterKey;
  /** Every readable master key by id, the current one included. */
  byId: Map<string, Buffer>;
  dataKeyCache: Map<string, Buffer>;
  dataKeyCacheSizeMax: number;
};

// Enough for every shop that is busy at once on one process; 1,024 entries of 32 bytes each.
export const dataKeyCacheSizeMaxDefault = 1024;

const keyIdPattern = /^[A-Za-z0-9_.-]{1,64}$/;
const keyHexPattern = /^(0x)?[0-9a-fA-F]{64}$/;

export type LoadMasterKeyRingOptions = { dataKeyCacheSizeMax?: number };

/** Builds the ring from the configuration; a missing or malformed master key fails at start. */
export function loadMasterKeyRing(secrets: Config["secrets"], options: LoadMasterKeyRingOptions = {}): MasterKeyRing {
  const masterKeyHex = requireSetting(secrets.masterKey, "MASTER_KEY", "Set it to 32 random bytes in hex (for example `openssl rand -hex 32`).");
  const previous = parsePreviousMasterKeys(secrets.previousMasterKeys);
  return createMasterKeyRing({ id: secrets.masterKeyId, key: parseKeyHex(masterKeyHex, "MASTER_KEY") }, previous, options);
}

export function createMasterKeyRing(current: MasterKey, previous: MasterKey[] = [], options: LoadMasterKeyRingOptions = {}): MasterKeyRing {
  if (!keyIdPattern.test(current.id)) {
    throw new ConfigError("MASTER_KEY_ID must be 1-64 characters of letters, digits, '_', '.' or '-'.");
  }
  if (current.key.length !== 32) throw new ConfigError("MASTER_KEY must be 32 bytes.");
  const byId = new Map<string, Buffer>();
  for (const entry of previous) {
    if (entry.id === current.id) {
      throw new ConfigError(`PREVIOUS_MASTER_KEYS repeats the current MASTER_KEY_ID '${current.id}'.`);
    }
    if (byId.has(entry.id)) throw new ConfigError(`PREVIOUS_MASTER_KEYS lists the id '${entry.id}' twice.`);
    byId.set(entry.id, entry.key);
  }
  byId.set(current.id, current.key);
  return {
    current,
    byId,
    dataKeyCache: new Map(),
    dataKeyCacheSizeMax: options.dataKeyCacheSizeMax ?? dataKeyCacheSizeMaxDefault,
  };
}

/** Parses `id:hex,id:hex`. The messages name the entry's position, never its key material. */
export function parsePreviousMasterKeys(value: string | undefined): MasterKey[] {
  if (value === undefined || value.trim() === "") return [];
  return value.split(",").map((entry, position) => {
    const separator = entry.indexOf(":");
    const id = entry.slice(0, separator).trim();
    const hex = entry.slice(separator + 1).trim();
    if (separator < 0 || !keyIdPattern.test(id)) {
      throw new ConfigError(`PREVIOUS_MASTER_KEYS entry ${position + 1} must look like id:hex (id of letters, digits, '_', '.', '-').`);
    }
    return { id, key: parseKeyHex(hex, `PREVIOUS_MASTER_KEYS entry ${position + 1} ('${id}')`) };
  });
}

function parseKeyHex(hex: string, name: string): Buffer {
  if (!keyHexPattern.test(hex)) throw new ConfigError(`${name} must be 32 bytes in hex (64 hex characters).`);
  return Buffer.from(hex.replace(/^0x/, ""), "hex");
}
