// The database refuses every state move that is not an allowed transition, and allows every one
// that is. The states come from the database's own CHECK constraints (<table>_<column>_known)
// and the moves to try are every ordered pair of them, computed here; only which pairs are
// allowed comes from the state modules, and the first test checks that the trigger's table
// (state_transitions) lists exactly those pairs. Each move is tried directly in SQL on a fresh
// row inside a transaction that is rolled back, on the PostgreSQL server and on PGlite. The
// SQL the writers compose (set, from, advance) is evaluated over every state and compared with
// what each transition's source and target lists say it must do.
import { expect } from "chai";
import { batchStateMachines } from "../../core/store/batchStates.ts";
import { entitlementStateMachines } from "../../core/store/entitlementStates.ts";
import { pgConstraint, pgErrorCode, pgErrorCodes } from "../../core/store/errors.ts";
import { createPgliteDatabase, createServerDatabase, type TestDatabase } from "../support/database.ts";

type State = string | null;
type Machine = {
  name: string;
  table: string;
  column: string;
  transitions: Record<string, { from: readonly State[]; to: State }>;
  pairs(): [State, State][];
  set(transition: string): string;
  from(transition: string, alias?: string): string;
  advance(transition: string, alias?: string): string;
};
type Connection = { query<R>(text: string, params?: unknown[]): Promise<R[]>; release(): void };

const machines = [...entitlementStateMachines, ...batchStateMachines] as unknown as readonly Machine[];

async function connect(database: TestDatabase): Promise<Connection> {
  if (database.pglite) {
    const pglite = database.pglite;
    return { query: async <R>(text: string, params?: unknown[]) => (await pglite.query<R>(text, params)).rows, release: () => {} };
  }
  const client = await database.pool!.connect();
  return { query: async <R>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as R[], release: () => client.release() };
}

/** The values the column may hold, read from its CHECK constraint and its nullability. */
async function statesOf(connection: Connection, table: string, column: string): Promise<State[]> {
  const [check] = await connection.query<{ definition: string }>("SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conname = $1", [
    `${table}_${column}_known`,
  ]);
  const [{ is_nullable }] = (await connection.query<{ is_nullable: string }>(
    "SELECT is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2",
    [table, column],
  )) as [{ is_nullable: string }];
  const named = [...check!.definition.matchAll(/'([a-z_]+)'::text/g)].map((match) => match[1]!);
  expect(named.length, `${table}_${column}_known lists its states`).to.be.greaterThan(1);
  return is_nullable === "YES" ? [null, ...named] : named;
}

const key = (from: State, to: State) => `${from ?? "NULL"} -> ${to ?? "NULL"}`;

for (const [label, create] of [
  ["PostgreSQL server", createServerDatabase],
  ["PGlite", createPgliteDatabase],
] as const) {
  describe(`state transitions on ${label}`, () => {
    let database: TestDatabase;
    let connection: Connection;
    let fixture: { shopId: bigint; productId: bigint; batchId: bigint; keyId: bigint };

    before(async () => {
      database = await create();
      connection = await connect(database);
      const one = async <R>(text: string, params: unknown[] = []) => (await connection.query<R>(text, params))[0]!;
      const account = await one<{ id: bigint }>(
        "INSERT INTO accounts (email, password_hash, roles) VALUES ('m@example.test', 'x', ARRAY['merchant']) RETURNING id",
      );
      const shop = await one<{ id: bigint }>(
        "INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id) VALUES ($1, 'shop-a', 'Shop', '\\x00', 'k1') RETURNING id",
        [account.id],
      );
      const product = await one<{ id: bigint }>(
        "INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES ($1, 'Card', 'game_card', 1000, 'CNY') RETURNING id",
        [shop.id],
      );
      const batch = await one<{ id: bigint }>("INSERT INTO batches (shop_id, product_id, key_count) VALUES ($1, $2, 1) RETURNING id", [shop.id, product.id]);
      await connection.query(
        "INSERT INTO orders (id, shop_id, product_id, buyer_account_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at) VALUES ('ord_a', $1, $2, $3, 1, 1000, 1000, 'CNY', 'fulfilled', now())",
        [shop.id, product.id, account.id],
      );
      const keyRow = await one<{ id: bigint }>(
        `INSERT INTO keys (shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash, proof, status, order_id)
         VALUES ($1, $2, $3, 0, '\\x01', '\\x02', decode(repeat('00', 32), 'hex'), '\\x03', '\\x04', '{}'::bytea[], 'sold', 'ord_a') RETURNING id`,
        [shop.id, product.id, batch.id],
      );
      fixture = { shopId: shop.id, productId: product.id, batchId: batch.id, keyId: keyRow.id };
    });
    after(async () => {
      connection.release();
      await database.drop();
    });

    it("the trigger's table lists exactly the transitions the state modules name", async () => {
      const rows = await connection.query<{ machine: string; from_state: State; to_state: State }>(
        "SELECT machine, from_state, to_state FROM state_transitions",
      );
      const inDatabase = rows.map((row) => `${row.machine}: ${key(row.from_state, row.to_state)}`).sort();
      const inModules = machines.flatMap((machine) => machine.pairs().map(([from, to]) => `${machine.name}: ${key(from, to)}`)).sort();
      expect(inDatabase).to.deep.equal(inModules);
    });

    for (const machine of machines) {
      it(`${machine.name}: the module's states are the CHECK constraint's`, async () => {
        const definition = machine as unknown as { states: readonly string[]; nullable: boolean };
        const states = await statesOf(connection, machine.table, machine.column);
        expect([...(definition.nullable ? [null] : []), ...definition.states]).to.have.members(states);
      });

      it(`${machine.name}: refuses every move not in the table, allows every move in it`, async () => {
        const states = await statesOf(connection, machine.table, machine.column);
        const allowed = new Set(machine.pairs().map(([from, to]) => key(from, to)));
        const outcomes: string[] = [];
        const expected: string[] = [];
        for (const from of states) {
          for (const to of states) {
            const legal = from === to || allowed.has(key(from, to));
            expected.push(`${key(from, to)}: ${legal ? "accepted" : "refused"}`);
            outcomes.push(`${key(from, to)}: ${await tryMove(machine, from, to)}`);
          }
        }
        // Every pair of states was tried, and some of each kind.
        expect(outcomes).to.have.length(states.length * states.length);
        expect(expected.some((line) => line.endsWith("refused"))).to.equal(true);
        expect(outcomes).to.deep.equal(expected);
      });
    }

    for (const machine of machines) {
      it(`${machine.name}: each transition's SQL moves exactly its source states to its target`, async () => {
        const states = await statesOf(connection, machine.table, machine.column);
        const values = states.map((state) => (state === null ? "(NULL)" : `('${state}')`)).join(", ");
        for (const [name, { from, to }] of Object.entries(machine.transitions)) {
          const setPrefix = `${machine.column} = `;
          const advance = machine.advance(name, "v");
          expect(machine.set(name).startsWith(setPrefix) && advance.startsWith(setPrefix)).to.equal(true);
          const rows = await connection.query<{ state: State; selected: boolean; set_to: State; advanced: State }>(
            `SELECT v.${machine.column} AS state, coalesce(${machine.from(name, "v")}, false) AS selected,
                    ${machine.set(name).slice(setPrefix.length)} AS set_to, ${advance.slice(setPrefix.length)} AS advanced
             FROM (VALUES ${values}) v(${machine.column})`,
          );
          expect(
            rows.map((row) => [row.state, row.selected, row.set_to, row.advanced]),
            `${machine.name} ${name}`,
          ).to.deep.equal(states.map((state) => [state, from.includes(state), to, from.includes(state) ? to : state]));
        }
      });
    }

    it("a refusal names the machine, the row and both states", async () => {
      await connection.query("BEGIN");
      try {
        const [row] = await connection.query<{ id: bigint }>(
          "INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, issue_state) VALUES ($1, 'ord_a', $2, $3, $4, 'confirmed') RETURNING id",
          [fixture.keyId, fixture.shopId, fixture.productId, fixture.batchId],
        );
        const error = await connection.query("UPDATE entitlements SET issue_state = 'pending' WHERE id = $1", [row!.id]).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(pgErrorCode(error)).to.equal(pgErrorCodes.checkViolation);
        expect(pgConstraint(error)).to.equal("entitlements_issue_state_transition");
        expect((error as Error).message).to.equal(`entitlements.issue_state of row ${row!.id} may not move from confirmed to pending`);
      } finally {
        await connection.query("ROLLBACK");
      }
    });

    /**
     * Inserts a row in `from` (inserts are not transitions), updates it to `to`, rolls back.
     * An entitlement's redeem_state must be set whenever it is redeemed (except when revoked:
     * entitlements_redeemed_has_state), so a lifecycle move carries a redemption move that is
     * itself allowed (queue or drop), and redemption moves are tried on a revoked row; a refusal
     * must name this machine's constraint, so it cannot come from the other column.
     */
    async function tryMove(machine: Machine, from: State, to: State): Promise<"accepted" | "refused"> {
      const redemptionFor = (state: State) => (state === "redeemed" ? "pending" : null);
      await connection.query("BEGIN");
      try {
        let update: [string, unknown[]];
        if (machine.table === "batches") {
          const [row] = await connection.query<{ id: bigint }>(
            "INSERT INTO batches (shop_id, product_id, key_count, anchor_state) VALUES ($1, $2, 1, $3) RETURNING id",
            [fixture.shopId, fixture.productId, from],
          );
          update = ["UPDATE batches SET anchor_state = $2 WHERE id = $1", [row!.id, to]];
        } else {
          const initial = {
            state: machine.column === "state" ? from : machine.column === "redeem_state" ? "revoked" : "sealed",
            issue_state: machine.column === "issue_state" ? from : "pending",
            redeem_state: machine.column === "redeem_state" ? from : machine.column === "state" ? redemptionFor(from) : null,
          };
          const [row] = await connection.query<{ id: bigint }>(
            `INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, state, issue_state, redeem_state)
             VALUES ($1, 'ord_a', $2, $3, $4, $5, $6, $7) RETURNING id`,
            [fixture.keyId, fixture.shopId, fixture.productId, fixture.batchId, initial.state, initial.issue_state, initial.redeem_state],
          );
          update =
            machine.column === "state"
              ? ["UPDATE entitlements SET state = $2, redeem_state = $3 WHERE id = $1", [row!.id, to, redemptionFor(to)]]
              : [`UPDATE entitlements SET ${machine.column} = $2 WHERE id = $1`, [row!.id, to]];
        }
        try {
          await connection.query(...update);
          return "accepted";
        } catch (error) {
          if (pgConstraint(error) !== `${machine.table}_${machine.column}_transition`) throw error;
          expect(pgErrorCode(error)).to.equal(pgErrorCodes.checkViolation);
          return "refused";
        }
      } finally {
        await connection.query("ROLLBACK");
      }
    }
  });
}
