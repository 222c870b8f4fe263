// The indexer's specialised event decoder against viem's general one, on every platform event
// with seeded random values: same arguments (addresses compared in lowercase, the indexer's
// convention), and a clear refusal for types it does not support.
import { expect } from "chai";
import { decodeEventLog as viemDecode, encodeAbiParameters, encodeEventTopics, toEventSelector, type AbiEvent, type Hex } from "viem";
import { compileEvent, eventSelector, UnsupportedAbiTypeError, type AbiEventItem } from "../../indexer/handlers/decodeEventLog.ts";
import { compileEmitter } from "./support/emitter.ts";
import { seededRandom } from "../../scripts/lib/seededRandom.ts";

function randomValue(type: string, random: () => number): unknown {
  const bytes = (count: number) =>
    `0x${Array.from({ length: count }, () =>
      Math.floor(random() * 256)
        .toString(16)
        .padStart(2, "0"),
    ).join("")}` as Hex;
  if (type.endsWith("[]")) return Array.from({ length: Math.floor(random() * 5) }, () => randomValue(type.slice(0, -2), random));
  if (type === "address") return bytes(20);
  if (type === "bool") return random() < 0.5;
  if (type === "bytes") return bytes(Math.floor(random() * 70));
  if (type === "string") return `s${Math.floor(random() * 1e6)}\t\n✓`;
  if (type.startsWith("bytes")) return bytes(Number(type.slice(5)));
  const bits = Number(type.replace(/^u?int/, "") || 256);
  const value = BigInt(bytes(bits / 8));
  return bits <= 48 ? Number(value) : value;
}

const normalise = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(normalise) : typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value) ? value.toLowerCase() : value;

describe("indexer: event decoder", () => {
  const events = compileEmitter().abi.filter((item): item is AbiEvent => item.type === "event");

  it("computes the same selectors as viem", () => {
    for (const event of events) expect(eventSelector(event as unknown as AbiEventItem)).to.equal(toEventSelector(event));
  });

  it("decodes every platform event like viem, over 200 random cases each", () => {
    const random = seededRandom(42);
    for (const event of events) {
      const compiled = compileEvent(event as unknown as AbiEventItem);
      for (let round = 0; round < 200; round++) {
        const args = Object.fromEntries(event.inputs.map((input) => [input.name!, randomValue(input.type, random)]));
        const topics = encodeEventTopics({ abi: [event], eventName: event.name, args } as never) as Hex[];
        const plain = event.inputs.filter((input) => !input.indexed);
        const data = encodeAbiParameters(
          plain,
          plain.map((input) => args[input.name!]),
        );
        const expected = viemDecode({ abi: [event], topics: topics as [Hex, ...Hex[]], data, strict: true }).args as Record<string, unknown>;
        const actual = compiled.decode(topics, data);
        expect(normalise(Object.entries(actual)), `${event.name} round ${round}`).to.deep.equal(normalise(Object.entries(expected)));
      }
    }
  });

  it("refuses a type it cannot decode when it is built, not later", () => {
    const tupleEvent: AbiEventItem = { type: "event", name: "WithTuple", inputs: [{ name: "pair", type: "tuple" }] };
    expect(() => compileEvent(tupleEvent)).to.throw(UnsupportedAbiTypeError, /WithTuple.*tuple/);
  });

  it("rejects data that is too short instead of reading past it", () => {
    const issued = compileEvent(events.find((event) => event.name === "EntitlementsIssued") as unknown as AbiEventItem);
    const topics = [toEventSelector(events.find((event) => event.name === "EntitlementsIssued")!), `0x${"0".repeat(63)}1`];
    expect(() => issued.decode(topics, "0x1234")).to.throw(/too short/);
  });
});
