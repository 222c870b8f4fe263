// A transaction read straight from the chain's RPC in the browser (lazy chunk: viem): status,
// block, sender, contract and the Keyledger events it emitted. Used by every transaction link,
// so a local chain without a block explorer still has one.
import { useEffect, useState } from "react";
import { createPublicClient, decodeEventLog, http, parseAbi, type Hex } from "viem";
import { fetchPublicConfig } from "../api/publicConfig.ts";
import { ErrorNotice, Field, Hash, Notice, PageHeader, Spinner, StateBadge } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useRouter } from "../router.tsx";
import { readStored, writeStored } from "../storage.ts";

const rpcStorageKey = "kl.rpcUrl";
const rpcTimeoutMs = 8000;

/** Events of Keyledger's contracts, decoded when a log matches one. */
const knownEvents = parseAbi([
  "event BatchAnchored(uint64 indexed batchId, uint64 indexed shopId, bytes32 root, uint32 keyCount, address issuer)",
  "event EntitlementsIssued(uint64 indexed batchId, uint256 firstTokenId, uint256 count, bytes leafIndexes)",
  "event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)",
  "event Locked(uint256 tokenId)",
]);

type TxFacts = { status: string; block: string; from: string; to: string | null; gasUsed: string; events: { name: string; address: string; args: string }[] };

export default function TxPage(props: { hash: string }) {
  const { t } = useI18n();
  const { search } = useRouter();
  const [rpcUrl, setRpcUrl] = useState(() => search.get("rpc") ?? readStored<string>(rpcStorageKey) ?? "");
  const [draft, setDraft] = useState(rpcUrl);
  // With no RPC chosen, the platform's public one: the only other origin the Content-Security-
  // Policy lets this page reach (docs/web.md). A local chain's usual port is the last guess.
  // biome-ignore lint/correctness/useExhaustiveDependencies: offered once, on arrival; the functional updates keep an RPC the user typed meanwhile
  useEffect(() => {
    if (rpcUrl !== "") return;
    void fetchPublicConfig().then((config) => {
      const offered = config?.rpcUrl ?? `${window.location.protocol}//${window.location.hostname}:8545`;
      setRpcUrl((current) => current || offered);
      setDraft((current) => current || offered);
    });
  }, []);
  const valid = /^0x[0-9a-fA-F]{64}$/.test(props.hash);
  const facts = useAsync<TxFacts | undefined>(async () => {
    if (!valid || rpcUrl === "") return undefined;
    const client = createPublicClient({ transport: http(rpcUrl, { timeout: rpcTimeoutMs, retryCount: 1 }) });
    const receipt = await client.getTransactionReceipt({ hash: props.hash as Hex });
    const events = receipt.logs.map((log) => {
      try {
        const decoded = decodeEventLog({ abi: knownEvents, data: log.data, topics: log.topics });
        return {
          name: decoded.eventName,
          address: log.address,
          args: JSON.stringify(decoded.args, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value)),
        };
      } catch {
        return { name: log.topics[0] ?? "log", address: log.address, args: "" };
      }
    });
    return {
      status: receipt.status === "success" ? "confirmed" : "failed",
      block: receipt.blockNumber.toString(),
      from: receipt.from,
      to: receipt.to,
      gasUsed: receipt.gasUsed.toString(),
      events,
    };
  }, [props.hash, rpcUrl]);
  return (
    <div className="stack-lg">
      <PageHeader title={t("tx.title")} subtitle={<span className="mono break">{props.hash}</span>} />
      {!valid && <Notice tone="warning">{t("tx.invalid")}</Notice>}
      <form
        className="card inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          writeStored(rpcStorageKey, draft.trim());
          setRpcUrl(draft.trim());
        }}
      >
        <Field label={t("verify.rpc")} htmlFor="tx-rpc" hint={t("tx.rpcHint")}>
          <input id="tx-rpc" className="mono" type="url" value={draft} onChange={(event) => setDraft(event.target.value)} />
        </Field>
        <button className="button" type="submit">
          {t("tx.read")}
        </button>
      </form>
      {facts.loading && <Spinner />}
      {facts.error !== undefined && <ErrorNotice error={new Error(t("tx.unreachable", { rpc: rpcUrl }))} onRetry={facts.reload} />}
      {facts.data && (
        <section className="card stack" data-testid="tx-facts">
          <dl className="facts">
            <div>
              <dt>{t("tx.status")}</dt>
              <dd>
                <StateBadge state={facts.data.status} />
              </dd>
            </div>
            <div>
              <dt>{t("tx.block")}</dt>
              <dd>{facts.data.block}</dd>
            </div>
            <div>
              <dt>{t("tx.from")}</dt>
              <dd>
                <Hash value={facts.data.from} />
              </dd>
            </div>
            <div>
              <dt>{t("tx.to")}</dt>
              <dd>
                <Hash value={facts.data.to} />
              </dd>
            </div>
            <div>
              <dt>{t("tx.gas")}</dt>
              <dd>{facts.data.gasUsed}</dd>
            </div>
          </dl>
          <h2 className="section-title">{t("tx.events")}</h2>
          <ul className="list">
            {facts.data.events.map((event, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a transaction's events in log order: the position is their identity and never changes
              <li key={index} className="list-row list-row-stack">
                <strong>{event.name.startsWith("0x") ? shortTopic(event.name) : event.name}</strong>
                <span className="mono small muted break">{event.args}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function shortTopic(topic: string): string {
  return `${topic.slice(0, 10)}…`;
}
